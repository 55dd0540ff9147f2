"""Which key the mock IdP signs with and which certificate each subscription trusts (no Qt).

The GUI shows a mismatch as a warning before any flow runs; the wording is the same diagnosis the
Signature tab gives after a refused login.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from harness.core.certs import CertError, describe_cert, load_cert
from harness.core.rollover import signing_key_for_sp
from harness.core.workspace import Workspace, WorkspaceError
from sp.trust import trusted_certs


@dataclass
class CertRow:
    """A key pair in the workspace, or a certificate a subscription trusts that no key pair has."""

    name: str  # key pair name; "" for a trusted-only certificate
    subject: str
    fingerprint: str  # "7A:91:…" full
    not_before: datetime | None
    not_after: datetime | None
    status: str  # valid | expired | expires-soon | not-yet-valid | unreadable
    algorithm: str
    uses: list[str] = field(default_factory=list)
    cert_pem: bytes = b""
    has_key: bool = True

    @property
    def short_fp(self) -> str:
        return ":".join(self.fingerprint.split(":")[:8]) + ":…" if self.fingerprint else "?"


@dataclass
class TrustLine:
    idm_key: str
    name: str
    ok: bool
    message: str
    trusted_keypair: str | None = None


def _fp(cert_pem: bytes) -> str | None:
    try:
        return describe_cert(cert_pem).fingerprint_sha256
    except CertError:
        return None


def cert_of(ws: Workspace, name: str) -> bytes:
    """A key pair's certificate, without loading (and checking) its private key, which is slow."""
    try:
        return load_cert(ws.keys_dir / f"{name}.crt.pem")
    except CertError as err:
        raise WorkspaceError(str(err)) from err


def keypair_fingerprints(ws: Workspace) -> dict[str, str]:
    out = {}
    for name in ws.keypair_names():
        try:
            out[name] = describe_cert(cert_of(ws, name)).fingerprint_sha256
        except (WorkspaceError, CertError):
            continue
    return out


def keypair_for_cert(ws: Workspace, cert_pem: bytes, fps: dict[str, str] | None = None) -> str | None:
    fp = _fp(cert_pem) if cert_pem else None
    if fp is None:
        return None
    for name, other in (fps if fps is not None else keypair_fingerprints(ws)).items():
        if other == fp:
            return name
    return None


def _label(cert_pem: bytes) -> str:
    try:
        info = describe_cert(cert_pem)
    except CertError as err:
        return f"an unreadable certificate ({err})"
    fp = ":".join(info.fingerprint_sha256.split(":")[:4])
    return f"{info.subject} (SHA-256 {fp}:…)"


def trust_report(ws: Workspace) -> list[TrustLine]:
    """For each subscription: does it trust the certificate the mock IdP signs with?"""
    fps = keypair_fingerprints(ws)
    key_name = signing_key_for_sp(ws)
    try:
        signing_pem = cert_of(ws, key_name)
    except WorkspaceError as err:
        return [
            TrustLine(s.idm_key, s.name, False, f"The mock IdP's signing key cannot be read: {err}")
            for s in ws.subscriptions()
        ]
    idp_entity = ws.idp_profile().entity_id
    lines = []
    for s in ws.subscriptions():
        trusted_kp = keypair_for_cert(ws, s.idp_cert_pem, fps)
        who = f"{s.name or s.idm_key} ({s.idm_key})"
        if not s.idp_cert_pem:
            lines.append(TrustLine(s.idm_key, s.name, False, f"{who} trusts no IdP certificate yet."))
            continue
        problems = []
        if fps.get(key_name) not in {_fp(c.pem) for c in trusted_certs(s)}:  # either one, in a rollover
            kp_words = f" = key pair '{trusted_kp}'" if trusted_kp else ""
            problems.append(
                f"The mock IdP signs with key pair '{key_name}', {_label(signing_pem)}, but {who} trusts "
                f"{_label(s.idp_cert_pem)}{kp_words}. Logins will be refused (signature-invalid): update the "
                "subscription's certificate, or switch the IdP's signing key."
            )
        if s.idp_entity_id and "{" not in s.idp_entity_id and s.idp_entity_id != idp_entity:
            problems.append(
                f"{who} expects the IdP EntityID {s.idp_entity_id!r}, but the mock IdP is {idp_entity!r} "
                "(issuer-mismatch)."
            )
        if problems:
            lines.append(TrustLine(s.idm_key, s.name, False, " ".join(problems), trusted_kp))
        else:
            lines.append(
                TrustLine(
                    s.idm_key, s.name, True, f"{who} trusts the key the mock IdP signs with ('{key_name}').", trusted_kp
                )
            )
    return lines


def cert_rows(ws: Workspace) -> list[CertRow]:
    rows: list[CertRow] = []
    prof_key = ws.idp_profile().signing_key
    per_sp = {s.signing_key: s.name or s.entity_id for s in ws.idp_for_sps() if s.signing_key}
    for name in ws.keypair_names():
        try:
            pem = cert_of(ws, name)
            info = describe_cert(pem)
        except (WorkspaceError, CertError) as err:
            rows.append(CertRow(name, f"unreadable: {err}", "", None, None, "unreadable", ""))
            continue
        uses = []
        if name == prof_key:
            uses.append("IdP signing key")
        if name in per_sp:
            uses.append(f"IdP signs for {per_sp[name]}")
        rows.append(
            CertRow(
                name,
                info.subject,
                info.fingerprint_sha256,
                info.not_before,
                info.not_after,
                info.status,
                info.algorithm,
                uses,
                pem,
            )
        )
    by_fp = {r.fingerprint: r for r in rows if r.fingerprint}
    trusted = [(s, c) for s in ws.subscriptions() for c in trusted_certs(s)]
    for s, c in trusted:
        fp = _fp(c.pem)
        role = "" if c.role == "only" else f", {c.role} in a rollover"
        use = f"trusted by {s.name or s.idm_key} ({s.idm_key}{role})"
        if fp in by_fp:
            by_fp[fp].uses.append(use)
            continue
        try:
            info = describe_cert(c.pem)
        except CertError as err:
            row = CertRow("", f"unreadable: {err}", "", None, None, "unreadable", "", [use], c.pem, has_key=False)
            rows.append(row)
            continue
        row = CertRow(
            "",
            info.subject,
            info.fingerprint_sha256,
            info.not_before,
            info.not_after,
            info.status,
            info.algorithm,
            [use],
            c.pem,
            has_key=False,
        )
        by_fp[info.fingerprint_sha256] = row
        rows.append(row)
    return rows
