"""Rehearse an IdP signing-certificate rollover end to end, as a customer does it with the vendor.

Three stages, with logins working before, between and after each:
  add      the IdP's next key pair is made and each subscription trusts its certificate beside the
           current one (the customer sends the new certificate; the vendor adds it);
  switch   the mock IdP signs with the new key (the customer's IdP rolls over);
  remove   each subscription drops the old certificate (the overlap ends).
A stage that would make logins fail is refused with the reason: switching before every
subscription trusts the new certificate, removing the old one while the IdP still signs with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from harness.core.certs import CertError, rotate
from harness.core.workspace import Workspace, WorkspaceError
from sp.model import Subscription
from sp.trust import cert_sha256, trusted_certs


class RolloverError(WorkspaceError):
    """A stage that cannot be taken now, in words."""


def signing_key_for_sp(ws: Workspace) -> str:
    """The key pair the mock IdP signs with for the embedded SP."""
    sp_entity = ws.sp_profile().entity_id
    for s in ws.idp_for_sps():
        if s.entity_id == sp_entity and s.signing_key:
            return s.signing_key
    return ws.idp_profile().signing_key


def _key_named(ws: Workspace, cert_pem: bytes) -> str | None:
    fp = cert_sha256(cert_pem)
    for name in ws.keypair_names():
        if cert_sha256((ws.keys_dir / f"{name}.crt.pem").read_bytes()) == fp:
            return name
    return None


def _next_name(ws: Workspace, current: str) -> str:
    base = re.sub(r"-\d+$", "", current)
    taken = set(ws.keypair_names())
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _signing_fp(ws: Workspace) -> str:
    return cert_sha256(ws.keypair(signing_key_for_sp(ws)).cert_pem)


def _subscriptions(ws: Workspace, idm_keys: list[str] | None, wanted) -> list[Subscription]:
    subs = ws.subscriptions()
    if idm_keys:
        missing = [k for k in idm_keys if ws.subscription(k) is None]
        if missing:
            raise RolloverError(f"no subscription has the idm_key {missing[0]!r}")
        subs = [s for s in subs if s.idm_key in idm_keys]
    return [s for s in subs if wanted(s)]


def _publish(ws: Workspace, other_key: str) -> None:
    """Name the rollover's other key pair in the IdP profile (its metadata lists that certificate)."""
    sp_entity = ws.sp_profile().entity_id
    if any(s.entity_id == sp_entity and s.signing_key for s in ws.idp_for_sps()):
        return  # the IdP signs for the embedded SP with a key of its own, which metadata does not list
    ws.set_idp_profile(replace(ws.idp_profile(), rollover_key=other_key))


@dataclass
class Stage:
    name: str
    idm_keys: list[str]
    detail: str


def add(ws: Workspace, idm_keys: list[str] | None = None, *, days: int = 730) -> Stage:
    """Make the IdP's next key pair and have each subscription that trusts the current one trust it too."""
    current = signing_key_for_sp(ws)
    fp = _signing_fp(ws)
    subs = _subscriptions(ws, idm_keys, lambda s: any(c.sha256 == fp for c in trusted_certs(s)))
    if not subs:
        raise RolloverError(f"no subscription trusts the certificate of {current!r}, the key the mock IdP signs with")
    busy = [s for s in subs if s.idp_cert_pem_next]
    if busy:
        raise RolloverError(
            f"subscription {busy[0].name or busy[0].idm_key} already trusts two certificates: finish that rollover "
            "first (saml-harness rollover remove)"
        )
    try:
        new = rotate(ws.keypair(current), days=days)
    except CertError as err:
        raise RolloverError(str(err)) from err
    name = _next_name(ws, current)
    ws.save_keypair(name, new)
    for s in subs:
        ws.save_subscription(replace(s, idp_cert_pem_next=new.cert_pem))
    _publish(ws, name)  # the IdP's metadata lists the next certificate from now on
    return Stage(
        "add",
        [s.idm_key for s in subs],
        f"made key pair {name!r} (SHA-256 {cert_sha256(new.cert_pem)[:16]}…); "
        f"{len(subs)} subscription(s) now trust it beside {current!r}",
    )


def switch(ws: Workspace, new_key: str | None = None) -> Stage:
    """Have the mock IdP sign with the new key, once every subscription trusting the old one trusts it."""
    old_fp = _signing_fp(ws)
    rolling = [s for s in ws.subscriptions() if s.idp_cert_pem_next]
    if new_key is None:
        if not rolling:
            raise RolloverError("no rollover in progress: start one with `saml-harness rollover add`")
        new_key = _key_named(ws, rolling[0].idp_cert_pem_next)
        if new_key is None:
            raise RolloverError("the new certificate the subscriptions trust has no key pair in this workspace")
    new_fp = cert_sha256(ws.keypair(new_key).cert_pem)
    left_out = [
        s
        for s in ws.subscriptions()
        if old_fp in {c.sha256 for c in trusted_certs(s)} and new_fp not in {c.sha256 for c in trusted_certs(s)}
    ]
    if left_out:
        raise RolloverError(
            f"subscription {left_out[0].name or left_out[0].idm_key} trusts only the current certificate: its "
            "logins would fail. Add the new certificate to it first (saml-harness rollover add)"
        )
    sp_entity = ws.sp_profile().entity_id
    per_sp = next((s for s in ws.idp_for_sps() if s.entity_id == sp_entity and s.signing_key), None)
    if per_sp is not None:
        ws.save_idp_for_sp(replace(per_sp, signing_key=new_key))
    else:  # the old certificate stays in the metadata until the overlap ends
        prof = ws.idp_profile()
        ws.set_idp_profile(replace(prof, signing_key=new_key, rollover_key=prof.signing_key))
    return Stage("switch", [s.idm_key for s in rolling], f"the mock IdP now signs with {new_key!r}")


def remove(ws: Workspace, idm_keys: list[str] | None = None) -> Stage:
    """End the overlap: each subscription keeps only the new certificate, once the IdP signs with it."""
    fp = _signing_fp(ws)
    subs = _subscriptions(ws, idm_keys, lambda s: bool(s.idp_cert_pem_next))
    if not subs:
        raise RolloverError("no subscription trusts two certificates: there is no old one to remove")
    for s in subs:
        if cert_sha256(s.idp_cert_pem_next) != fp:
            raise RolloverError(
                f"the mock IdP does not sign with the new certificate of {s.name or s.idm_key} yet: removing the old "
                "one now would refuse every login. Switch first (saml-harness rollover switch)"
            )
    for s in subs:
        ws.save_subscription(replace(s, idp_cert_pem=s.idp_cert_pem_next, idp_cert_pem_next=b""))
    if not any(s.idp_cert_pem_next for s in ws.subscriptions()):
        _publish(ws, "")  # the overlap is over: the metadata lists the signing certificate alone
    return Stage("remove", [s.idm_key for s in subs], f"{len(subs)} subscription(s) trust only the new certificate")


def status(ws: Workspace) -> list[str]:
    """One line per subscription: what it trusts, and whether the IdP's signing certificate is among it."""
    key = signing_key_for_sp(ws)
    fp = _signing_fp(ws)
    lines = [f"the mock IdP signs with {key!r} (SHA-256 {fp[:16]}…)"]
    for s in ws.subscriptions():
        certs = trusted_certs(s)
        parts = [f"{c.role} {c.sha256[:16]}…{' (signing)' if c.sha256 == fp else ''}" for c in certs]
        lines.append(f"{s.name or s.idm_key} ({s.idm_key}): {', '.join(parts) or 'no certificate'}")
    return lines
