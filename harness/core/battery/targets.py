"""Targets: the embedded SP of running servers, or any SP that trusts the mock IdP."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import replace

import requests

from harness.core.battery.canary import Canary
from harness.core.battery.client import LoginError, start_login
from harness.core.battery.runner import Battery
from harness.core.battery.target import BatteryError, Target
from harness.core.battery.verdicts import Report, Result
from harness.core.certs import KeyPair, make_keypair
from harness.core.metadata_read import MetadataError, parse_metadata, pick_role, post_acs_url
from harness.core.workspace import Workspace, WorkspaceError, resolve
from mock_idp.model import IdPUser, SPSettings
from mock_idp.scenarios.base import Context, Scenario
from sp.contract import SESSION, Route
from sp.model import SPConfig, Subscription


@functools.cache
def foreign_keypair() -> KeyPair:
    """The attacker's key pair (made once per process)."""
    return make_keypair("attacker.example", organization="Evil Corp")


def _pick_users(users: list[IdPUser], good: Callable[[IdPUser], bool], user: str | None, victim: str | None):
    by_name = {u.username: u for u in users}
    for name in (user, victim):
        if name and name not in by_name:
            raise BatteryError(f"the mock IdP has no user {name!r} (have: {', '.join(by_name) or 'none'})")
    usable = [u for u in users if good(u)]
    attacker = by_name[user] if user else (usable[0] if usable else (users[0] if users else None))
    if attacker is None:
        raise BatteryError("the workspace has no IdP user to log in with")
    others = [u for u in usable if u.username != attacker.username]
    target = by_name[victim] if victim else (others[0] if others else attacker)
    return attacker, target


def embedded_target(
    servers,  # harness.core.servers.Servers (imported lazily: it starts the apps)
    *,
    idm_key: str | None = None,
    user: str | None = None,
    victim: str | None = None,
) -> tuple[Target, Context]:
    """The embedded SP of running `servers`, and a context for the subscription `idm_key`."""
    from harness.core.flow import expect

    spc = servers.sp_app.config
    idp = servers.idp_app.config
    sub = _subscription_under_test(spc, idp.entity_id, idm_key)
    settings = idp.sp(spc.entity_id) or SPSettings(entity_id=spc.entity_id, acs_url=spc.acs_url)
    settings = replace(
        settings,
        acs_url=spc.acs_url,
        key_pem=None,
        cert_pem=None,
        encryption_cert_pem=sub.encryption_cert_pem or settings.encryption_cert_pem,
    )
    logins: dict[str, tuple[str, ...]] = {}

    def good(u: IdPUser) -> bool:
        e = expect(servers, sub.idm_key, u.username)
        logins[u.username] = tuple(e.logins)
        return e.outcome == SESSION

    attacker, target_user = _pick_users(idp.users, good, user, victim)

    def set_unsolicited(allowed: bool) -> None:
        cfg = servers.sp_app.config
        subs = [replace(s, allow_idp_initiated=allowed) if s.idm_key == sub.idm_key else s for s in cfg.subscriptions]
        servers.sp_app.reconfigure(replace(cfg, subscriptions=subs))

    foreign = foreign_keypair()
    target = Target(
        acs_url=spc.acs_url,
        entity_id=spc.entity_id,
        login_url=spc.login_url(sub.idm_key),
        session_url=servers.sp_base + Route.WHOAMI,
        whoami_json=True,
        unsolicited_allowed=sub.allow_idp_initiated,
        set_unsolicited=set_unsolicited,
        victim_logins=logins.get(target_user.username, ()),
        name=f"embedded SP (subscription {sub.idm_key})",
    )
    context = Context(
        idp_entity_id=idp.entity_id,
        idp_key_pem=idp.key_pem,
        idp_cert_pem=idp.cert_pem,
        sp=settings,
        user=attacker,
        victim=target_user,
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
    )
    return target, context


def read_sp_metadata(xml: bytes) -> tuple[str, str]:
    """(EntityID, the HTTP-POST AssertionConsumerService URL) from SP metadata (`metadata_read`)."""
    try:
        role = pick_role(parse_metadata(xml), "sp")
        return role.entity_id, post_acs_url(role)
    except MetadataError as err:
        raise BatteryError(f"the SP metadata cannot be used: {err}") from err


def _subscription_under_test(spc: SPConfig, idp_entity_id: str, idm_key: str | None) -> Subscription:
    """`idm_key`'s subscription, or the first ready one that trusts the mock IdP (else any ready one)."""
    if idm_key:
        sub = spc.subscription(idm_key)
        if sub is None:
            raise BatteryError(f"no subscription has the idm_key {idm_key!r}")
        return sub
    ready = [s for s in spc.subscriptions if s.saml_ready]
    trusting = [s for s in ready if s.idp_entity_id == idp_entity_id]
    if not (trusting or ready):
        raise BatteryError("the workspace has no subscription with a complete IdP trust")
    return (trusting or ready)[0]


def _sp_address(
    acs_url: str | None, entity_id: str | None, login_url: str | None, metadata: bytes | None, timeout: float
) -> tuple[str, str]:
    """(EntityID, ACS URL) of an SP: as given, else from its metadata, else from its AuthnRequest."""
    if metadata is not None:
        meta_entity, meta_acs = read_sp_metadata(metadata)
        entity_id, acs_url = entity_id or meta_entity, acs_url or meta_acs
    if login_url and not (acs_url and entity_id):
        with requests.Session() as s:
            try:
                req = start_login(s, login_url, timeout)
            except LoginError as err:
                raise BatteryError(f"cannot read the SP's AuthnRequest from {login_url}: {err}") from err
        entity_id, acs_url = entity_id or req.issuer, acs_url or req.acs_url
    if not acs_url or not entity_id:
        raise BatteryError(
            "give the SP's ACS URL and EntityID (--sp-acs, --sp-entity-id), its metadata, or its login URL"
        )
    return entity_id, acs_url


def external_target(
    ws: Workspace,
    *,
    acs_url: str | None = None,
    entity_id: str | None = None,
    login_url: str | None = None,
    metadata: bytes | None = None,
    session_url: str | None = None,
    unsolicited_allowed: bool | None = None,
    user: str | None = None,
    victim: str | None = None,
    timeout: float = 15.0,
) -> tuple[Target, Context]:
    """Any SP that trusts the workspace's mock IdP (its EntityID and signing certificate)."""
    entity_id, acs_url = _sp_address(acs_url, entity_id, login_url, metadata, timeout)
    prof = ws.idp_profile()
    try:
        kp = ws.keypair(prof.signing_key)
    except WorkspaceError as err:
        raise BatteryError(f"the mock IdP's signing key cannot be loaded: {err}") from err
    known = next((s for s in ws.idp_for_sps() if resolve(s.entity_id, "", "") == entity_id), None)
    settings = SPSettings(entity_id=entity_id, acs_url=acs_url)
    if known is not None:
        settings = replace(
            settings,
            nameid_format=known.nameid_format,
            nameid_source=known.nameid_source,
            attributes=list(known.attributes),
            # the SP's encryption certificate: the encryption family runs, and the baseline is encrypted
            # when the mock IdP encrypts for that SP (an SP that wants encrypted assertions accepts it)
            encrypt_assertion=known.encrypt_assertion,
            encryption_data_alg=known.encryption_data_alg,
            encryption_key_alg=known.encryption_key_alg,
            encryption_cert_pem=ws.sp_encryption_cert(known),
        )
    attacker, target_user = _pick_users(ws.users(), lambda u: True, user, victim)
    foreign = foreign_keypair()
    target = Target(
        acs_url=acs_url,
        entity_id=entity_id,
        login_url=login_url,
        session_url=session_url,
        unsolicited_allowed=unsolicited_allowed,
        name=f"SP {entity_id}",
        timeout=timeout,
    )
    context = Context(
        idp_entity_id=prof.entity_id,
        idp_key_pem=kp.key_pem,
        idp_cert_pem=kp.cert_pem,
        sp=settings,
        user=attacker,
        victim=target_user,
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
    )
    return target, context


def run_embedded(
    ws: Workspace,
    *,
    idm_key: str | None = None,
    user: str | None = None,
    victim: str | None = None,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Start both servers from `ws` on free loopback ports, run the battery, stop them."""
    from harness.core.servers import Servers

    with Servers(ws, sp_port=0, idp_port=0) as servers, Canary() as canary:
        target, context = embedded_target(servers, idm_key=idm_key, user=user, victim=victim)
        return Battery(target, context, canary=canary).run(scenarios, on_result=on_result)


def run_external(
    target: Target,
    context: Context,
    *,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    with Canary() as canary:
        return Battery(target, context, canary=canary).run(scenarios, on_result=on_result)
