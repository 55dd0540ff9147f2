"""What each control API endpoint does to the running harness: its workspace, its mock IdP, its traces.

Every change to the workspace is saved first (one transaction), then applied to the running
servers with `Servers.reload()`, which keeps sessions, the replay cache and pending logins.
"""

from __future__ import annotations

import binascii
import threading
from dataclasses import asdict, replace
from typing import Any

import pyotp

from harness.core.certs import KeyPair, make_keypair
from harness.core.control.changes import apply_changes
from harness.core.control.errors import ApiError, bad, not_found
from harness.core.control.fields import checked_fields
from harness.core.control.info import describe
from harness.core.control.traces import TraceLog
from harness.core.external_sp import ExternalSPError, idp_for_sp_from_metadata
from harness.core.servers import Servers
from harness.core.workspace import IdPForSP, WorkspaceError, resolve
from mock_idp.armed import Armed, ArmError, Override, armable
from mock_idp.model import NAMEID_FORMATS, SIGN_CHOICES, IdPUser, SPSettings
from mock_idp.response import issue
from mock_idp.scenarios import CATALOGUE

HASHES = ("sha1", "sha256", "sha384", "sha512")
MAX_COUNT = 1000
MAX_TRACES = 50


class Live:
    """The running harness as the control API sees it."""

    def __init__(self, servers: Servers, traces: TraceLog, control: dict[str, str]):
        self.servers = servers
        self.workspace = servers.workspace
        self.traces = traces
        self.control = control
        self._foreign: KeyPair | None = None
        self._lock = threading.Lock()

    def foreign_keypair(self) -> KeyPair:
        """An attacker's key pair, trusted by nobody, for the scenarios that sign with one (made once)."""
        with self._lock:
            if self._foreign is None:
                self._foreign = make_keypair("Attacker (trusted by nobody)", organization="Evil Corp")
            return self._foreign

    def idp_disarm(self, sp: IdPForSP | None = None) -> None:
        """Forget what was armed for the next Responses: to that SP, or to every SP."""
        eid = resolve(sp.entity_id, self.servers.sp_base, self.servers.idp_base) if sp else None
        self.servers.idp_app.armed.disarm(eid)
        self.servers.idp_app.overrides.disarm(eid)

    def armed(self) -> dict[str, list[dict]]:
        idp = self.servers.idp_app
        return {"armed": idp.armed.listing(), "overrides": idp.overrides.listing()}

    def applied(self) -> None:
        """Take a saved change into the running servers."""
        try:
            self.servers.reload(external=True)
        except (WorkspaceError, ValueError) as err:
            raise ApiError(409, "reload-failed", f"saved, but the servers cannot use it: {err}") from err


# -- health and information ---------------------------------------------------------------------


def health(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    failure = live.servers.failure
    return (503, {"status": "failing", "reason": failure}) if failure else (200, {"status": "ok"})


def info(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    return 200, describe(live.servers, {"url": live.control["url"]})


# -- users ----------------------------------------------------------------------------------------


def _check_user(user: IdPUser) -> IdPUser:
    if not user.username.strip():
        raise bad("a user needs a username")
    if user.totp_secret:
        try:
            pyotp.TOTP(user.totp_secret).now()
        except (binascii.Error, ValueError, TypeError) as err:
            raise bad(f"totp_secret is not a base32 secret ({err})", "invalid-field") from err
    return user


def list_users(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    return 200, {"users": [asdict(u) for u in live.workspace.users()]}


def get_user(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    user = live.workspace.user(args["username"])
    if user is None:
        raise not_found(f"the mock IdP has no user {args['username']!r}")
    return 200, asdict(user)


def put_user(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Create or replace the user named in the URL."""
    values = checked_fields(IdPUser, body, what="a user")
    name = args["username"]
    if values.setdefault("username", name) != name:
        raise bad("the username in the body differs from the one in the URL")
    if not isinstance(values.get("password"), str):
        raise bad("a user needs a password", "invalid-field")
    user = _check_user(IdPUser(**values))
    with live.workspace._transaction():
        existed = live.workspace.user(name) is not None
        live.workspace.save_user(user)
    live.applied()
    return (200 if existed else 201), asdict(user)


def patch_user(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Change some of a user's fields (the ones given replace the old values; `username` renames)."""
    values = checked_fields(IdPUser, body, what="a user")
    name = args["username"]
    with live.workspace._transaction():
        user = live.workspace.user(name)
        if user is None:
            raise not_found(f"the mock IdP has no user {name!r}")
        changed = _check_user(replace(user, **values))
        try:
            live.workspace.save_user(changed, old_username=name)
        except WorkspaceError as err:
            raise ApiError(409, "conflict", str(err)) from err
    live.applied()
    return 200, asdict(changed)


def delete_user(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    name = args["username"]
    with live.workspace._transaction():
        if live.workspace.user(name) is None:
            raise not_found(f"the mock IdP has no user {name!r}")
        live.workspace.delete_user(name)
    live.applied()
    return 200, {"deleted": name}


# -- the SPs the mock IdP serves ----------------------------------------------------------------------


def _entity_id(body: Any, args: dict) -> str:
    eid = args.get("entity_id") or (body.get("entity_id") if isinstance(body, dict) else None)
    if not isinstance(eid, str) or not eid:
        raise bad("name the SP by its entity_id")
    return eid


def _find_sp(live: Live, eid: str) -> IdPForSP:
    """The SP's settings by its entity ID as saved (`{sp}...`) or as the running IdP sees it."""
    s = live.servers
    for sp in live.workspace.idp_for_sps():
        if eid in (sp.entity_id, resolve(sp.entity_id, s.sp_base, s.idp_base)):
            return sp
    raise not_found(f"the mock IdP serves no SP {eid!r}")


def _sp_view(live: Live, sp: IdPForSP) -> dict[str, Any]:
    s = live.servers
    d = asdict(sp)
    d["resolved_entity_id"] = resolve(sp.entity_id, s.sp_base, s.idp_base)
    d["resolved_acs_url"] = resolve(sp.acs_url, s.sp_base, s.idp_base)
    return d


def _check_sp(live: Live, sp: IdPForSP) -> IdPForSP:
    if sp.sign not in SIGN_CHOICES:
        raise bad(f"sign must be one of {', '.join(SIGN_CHOICES)}", "invalid-field")
    if sp.sig_hash not in HASHES or sp.digest_hash not in (None, *HASHES):
        raise bad(f"sig_hash and digest_hash must be one of {', '.join(HASHES)}", "invalid-field")
    if sp.nameid_format not in NAMEID_FORMATS:
        raise bad(f"nameid_format must be one of {', '.join(NAMEID_FORMATS)}", "invalid-field")
    if sp.signing_key is not None and sp.signing_key not in live.workspace.keypair_names():
        raise bad(f"the workspace has no key pair {sp.signing_key!r}", "invalid-field")
    if sp.lifetime < 1:
        raise bad("lifetime must be at least 1 second", "invalid-field")
    return sp


def _can_answer(live: Live, sp: IdPForSP, temporary: dict[str, Any] | None = None) -> None:
    """The IdP must be able to answer that SP as now set, `temporary` settings included (one Response
    made and dropped); inside the saving transaction, a refusal rolls the change back."""
    s = live.servers
    try:
        config = live.workspace.idp_config(s.idp_base, s.sp_base)
        settings = config.sp(resolve(sp.entity_id, s.sp_base, s.idp_base))
        user = config.users[0] if config.users else IdPUser("probe", "")
        if settings is not None:
            issue(
                idp_entity_id=config.entity_id,
                sp=replace(settings, **(temporary or {})),
                user=user,
                key_pem=config.key_pem,
                cert_pem=config.cert_pem,
                in_response_to=None,
            )
    except Exception as err:  # whatever the IdP would fail with, in words
        raise bad(
            f"the mock IdP could not answer that SP so ({type(err).__name__}: {err})", "invalid-settings"
        ) from err


def _settings(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return checked_fields(
        IdPForSP, {k: v for k, v in body.items() if k not in ("entity_id", "metadata", "metadata_url")}
    )


def list_sps(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    return 200, {"sps": [_sp_view(live, s) for s in live.workspace.idp_for_sps()]}


def register_sp(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Let the mock IdP serve the SP described by metadata (XML text, or an http(s) URL); other fields override."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    source = body.get("metadata") or body.get("metadata_url")
    if not isinstance(source, str) or not source.strip():
        raise bad("give metadata (the SP's metadata XML) or metadata_url (an http(s) URL)")
    if "metadata" not in body and not source.lower().startswith(("http://", "https://")):
        raise bad("metadata_url must be an http(s) URL")
    overrides = _settings(body)
    try:
        sp = idp_for_sp_from_metadata(source.encode() if "metadata" in body else source, **overrides)
    except ExternalSPError as err:
        raise bad(f"cannot use that SP metadata: {err}", "bad-metadata") from err
    with live.workspace._transaction():
        existed = any(s.entity_id == sp.entity_id for s in live.workspace.idp_for_sps())
        live.workspace.save_idp_for_sp(_check_sp(live, sp))
        _can_answer(live, sp)
    live.applied()
    return (200 if existed else 201), _sp_view(live, sp)


def patch_sp(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Change how the mock IdP answers one SP: signing, hashes, NameID, attributes, lifetime, clock.

    With `count`, the settings apply to the next `count` Responses only and are not saved.
    """
    eid = _entity_id(body, args)
    count = body.pop("count", None) if isinstance(body, dict) else None
    values = _settings(body)
    if count is not None:
        return _override(live, eid, values, count)
    with live.workspace._transaction():
        sp = _check_sp(live, replace(_find_sp(live, eid), **values))
        live.workspace.save_idp_for_sp(sp)
        _can_answer(live, sp)
    live.applied()
    return 200, _sp_view(live, sp)


def _override(live: Live, eid: str, values: dict[str, Any], count: Any) -> tuple[int, Any]:
    _check_count(count)
    temporary = set(SPSettings.__dataclass_fields__) - {"entity_id", "acs_url", "name", "key_pem", "cert_pem"}
    fixed = sorted(set(values) - temporary)
    if fixed:
        raise bad(f"{', '.join(fixed)} cannot be set for the next Responses only: save them (no count)")
    sp = _find_sp(live, eid)
    _check_sp(live, replace(sp, **values))
    _can_answer(live, sp, values)
    entity_id = resolve(sp.entity_id, live.servers.sp_base, live.servers.idp_base)
    override = Override(count, values)
    live.servers.idp_app.overrides.arm(entity_id, override)
    return 200, override.to_dict(entity_id)


def delete_sp(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    eid = _entity_id(body, args)
    with live.workspace._transaction():
        sp = _find_sp(live, eid)
        live.workspace.delete_idp_for_sp(sp.entity_id)
    live.idp_disarm(sp)
    live.applied()
    return 200, {"deleted": sp.entity_id}


# -- attack scenarios for the next Responses ------------------------------------------------------------


def _check_count(count: Any) -> None:
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise bad(f"count must be a whole number from 1 to {MAX_COUNT}", "invalid-field")


def list_scenarios(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    out = []
    for s in CATALOGUE:
        try:
            armable(s.name)
        except ArmError:
            continue
        out.append(s.to_dict())
    return 200, {"scenarios": out}


def list_attacks(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    return 200, live.armed()


def arm_attack(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """The next `count` Responses to the SP are the scenario's bad message instead of the genuine one."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    unknown = set(body) - {"entity_id", "scenario", "count", "victim"}
    if unknown:
        raise bad(f"unknown fields: {', '.join(sorted(unknown))}", "unknown-field")
    count, victim = body.get("count", 1), body.get("victim")
    _check_count(count)
    if victim is not None and (not isinstance(victim, str) or live.workspace.user(victim) is None):
        raise bad(f"victim must name a user of the mock IdP, not {victim!r}", "invalid-field")
    name = body.get("scenario")
    if not isinstance(name, str):
        raise bad("name the scenario (GET /scenarios lists them)")
    sp = _find_sp(live, _entity_id(body, args))
    try:
        scenario = armable(name)
    except ArmError as err:
        raise bad(str(err), "unknown-scenario") from err
    foreign = live.foreign_keypair()
    armed = Armed(scenario, count, foreign.key_pem, foreign.cert_pem, victim)
    eid = resolve(sp.entity_id, live.servers.sp_base, live.servers.idp_base)
    live.servers.idp_app.armed.arm(eid, armed)
    return 201, armed.to_dict(eid)


def disarm_attacks(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Forget the scenarios and temporary settings armed for one SP (entity_id) or all."""
    eid = args.get("entity_id")
    live.idp_disarm(_find_sp(live, eid) if eid else None)
    return 200, live.armed()


# -- traces and routed changes -------------------------------------------------------------------------


def traces(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    raw = args.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TRACES:
        raise bad(f"limit must be a number from 1 to {MAX_TRACES}", "invalid-field")
    return 200, {"traces": [t.to_dict() for t in live.traces.last(int(raw))]}


def workspace_changes(live: Live, body: Any, args: dict) -> tuple[int, Any]:
    """Changes another harness command made while this harness holds the workspace (RoutedWorkspace)."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    n = apply_changes(live.workspace, body.get("changes"))
    live.applied()
    return 200, {"applied": n}
