"""The servers' configuration from a workspace: the mock IdP's `IdPConfig` and the embedded SP's
`SPConfig`, with the `{sp}`/`{mock_idp}` placeholders resolved and key pairs read from keys/."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from harness.core.workspace_records import IdPForSP, SPProfile, WorkspaceError, _from, resolve
from mock_idp.model import IdPConfig, SPSettings
from sp.model import SPConfig, Subscription

if TYPE_CHECKING:
    from harness.core.workspace import Workspace


def idp_config(ws: Workspace, idp_base: str, sp_base: str) -> IdPConfig:
    prof = ws.idp_profile()
    kp = ws.keypair(prof.signing_key)
    sp_prof = ws.sp_profile()
    sps = []
    for s in ws.idp_for_sps():
        d = asdict(s)
        key_name = d.pop("signing_key")
        d.pop("encryption_cert")
        d.pop("encryption_key")
        d["acs_url"] = resolve(s.acs_url, sp_base, idp_base)
        d["acs_others"] = {k: resolve(v, sp_base, idp_base) for k, v in s.acs_others.items()}
        d["entity_id"] = resolve(s.entity_id, sp_base, idp_base)
        d["slo_url"] = resolve(s.slo_url, sp_base, idp_base)
        settings = _from(SPSettings, d)
        cert = s.sp_certificate.encode("ascii", "replace") if s.sp_certificate.strip() else None
        if cert is None and settings.entity_id == sp_prof.entity_id:
            cert = sp_keys(ws, sp_prof)[1] or None  # the embedded SP: its own signing certificate
        settings = replace(settings, sp_cert_pem=cert)
        if key_name:
            other = ws.keypair(key_name)
            settings = replace(settings, key_pem=other.key_pem, cert_pem=other.cert_pem)
        sps.append(replace(settings, encryption_cert_pem=sp_encryption_cert(ws, s)))
    return IdPConfig(
        entity_id=prof.entity_id,
        base_url=idp_base,
        key_pem=kp.key_pem,
        cert_pem=kp.cert_pem,
        users=ws.users(),
        sps=sps,
        accepted_time_diff=prof.accepted_time_diff,
        other_cert_pem=(ws.keypair(prof.rollover_key).cert_pem if prof.rollover_key in ws.keypair_names() else None),
    )


def sp_config(ws: Workspace, sp_base: str, idp_base: str) -> SPConfig:
    prof = ws.sp_profile()
    subs = []
    for s in ws.subscriptions():
        subs.append(
            replace(
                s,
                idp_sso_url=resolve(s.idp_sso_url, sp_base, idp_base),
                exit_url=resolve(s.exit_url, sp_base, idp_base),
                idp_entity_id=resolve(s.idp_entity_id, sp_base, idp_base),
                idp_slo_url=resolve(s.idp_slo_url, sp_base, idp_base),
                **_encryption_pems(ws, s),
            )
        )
    key_pem, cert_pem = sp_keys(ws, prof)
    return SPConfig(
        key_pem=key_pem,
        cert_pem=cert_pem,
        base_url=sp_base,
        entity_id=prof.entity_id,
        acs_path=prof.acs_path,
        login_path=prof.login_path,
        subscriptions=subs,
        clock_skew=prof.clock_skew,
    )


def server_configs(ws: Workspace, sp_base: str, idp_base: str) -> tuple[SPConfig, IdPConfig]:
    """Both servers' configurations, or the WorkspaceError of the one that cannot be built.

    A running harness takes a change only when both servers can: `Servers.reload` and the mock
    IdP's own process (which follows the workspace by itself, `harness.core.idp_process`) build
    both, so a change the SP cannot use never reaches the IdP alone, nor the other way round.
    """
    return sp_config(ws, sp_base, idp_base), idp_config(ws, idp_base, sp_base)


def sp_keys(ws: Workspace, prof: SPProfile) -> tuple[bytes, bytes]:
    """The embedded SP's signing key pair, or empty when the workspace has none (it then cannot sign)."""
    if not prof.signing_key or prof.signing_key not in ws.keypair_names():
        return b"", b""
    kp = ws.keypair(prof.signing_key)
    return kp.key_pem, kp.cert_pem


def sp_encryption_cert(ws: Workspace, s: IdPForSP) -> bytes | None:
    """The certificate the mock IdP encrypts to for that SP (its metadata's, or a key pair's), or None."""
    if s.encryption_cert.strip():
        return s.encryption_cert.encode("ascii", "replace")
    if s.encryption_key and s.encryption_key in ws.keypair_names():
        try:
            return ws.keypair(s.encryption_key).cert_pem
        except WorkspaceError:  # a broken key pair file: the IdP then says encryption lacks a certificate
            return None
    return None


def _encryption_pems(ws: Workspace, s: Subscription) -> dict[str, bytes]:
    """The subscription's encryption key pair, read from keys/ (none when it is not there or broken:
    the SP then refuses encrypted assertions, `encrypted-assertion-unsupported`, and still serves)."""
    if not s.encryption_key or s.encryption_key not in ws.keypair_names():
        return {}
    try:
        kp = ws.keypair(s.encryption_key)
    except WorkspaceError:
        return {}
    return {"encryption_key_pem": kp.key_pem, "encryption_cert_pem": kp.cert_pem}
