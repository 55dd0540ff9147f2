"""Encryption settings in the workspace, checked before they are saved (the CLI and the app share them).

IdP side, per SP: encrypt the Assertion / NameID / attributes, the data and key algorithms, and
the SP's encryption certificate (a PEM, or a workspace key pair's certificate). SP side, per
subscription: the policy (accept / plain / require), RSA 1.5 allowed or not, and its key pair.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.core.certs import CertError, make_keypair, normalize_cert_pem
from harness.core.workspace import IdPForSP, Workspace, WorkspaceError
from samlkit import xmlenc
from sp.model import ENCRYPTION_POLICIES, Subscription

IDP_FIELDS = (
    "encrypt_assertion",
    "encrypt_name_id",
    "encrypt_attributes",
    "encryption_data_alg",
    "encryption_key_alg",
    "encryption_cert",
    "encryption_key",
)


def find_sp(ws: Workspace, which: str | None) -> IdPForSP:
    """The mock IdP's settings for the SP named by EntityID or display name (the only one when None)."""
    sps = ws.idp_for_sps()
    if which is None and len(sps) == 1:
        return sps[0]
    found = [s for s in sps if which in (s.entity_id, s.name)]
    if len(found) != 1:
        have = ", ".join(repr(s.name or s.entity_id) for s in sps) or "none"
        raise WorkspaceError(f"name the SP with --sp (EntityID or name); the mock IdP serves: {have}")
    return found[0]


def set_idp_encryption(ws: Workspace, settings: IdPForSP, **changes: Any) -> IdPForSP:
    """Save `changes` (IDP_FIELDS) for one SP, refusing unknown algorithms and unusable certificates."""
    new = checked_idp_encryption(ws, settings, **changes)
    ws.save_idp_for_sp(new)
    return new


def checked_idp_encryption(ws: Workspace, settings: IdPForSP, **changes: Any) -> IdPForSP:
    """`settings` with `changes`, or WorkspaceError saying why they cannot be used (nothing saved)."""
    unknown = set(changes) - set(IDP_FIELDS)
    if unknown:
        raise WorkspaceError(f"not an encryption setting: {', '.join(sorted(unknown))}")
    new = replace(settings, **changes)
    if new.encryption_data_alg not in xmlenc.DATA_ALGS:
        raise WorkspaceError(f"data encryption must be one of {', '.join(xmlenc.DATA_ALGS)}")
    if new.encryption_key_alg not in xmlenc.KEY_ALGS:
        raise WorkspaceError(f"key transport must be one of {', '.join(xmlenc.KEY_ALGS)}")
    if new.encryption_cert.strip():
        try:
            new = replace(new, encryption_cert=normalize_cert_pem(new.encryption_cert).decode("ascii"))
        except CertError as err:
            raise WorkspaceError(f"the SP's encryption certificate cannot be used: {err}") from err
    if new.encryption_key and new.encryption_key not in ws.keypair_names():
        raise WorkspaceError(f"the workspace has no key pair {new.encryption_key!r}")
    encrypts = new.encrypt_assertion or new.encrypt_name_id or new.encrypt_attributes
    if encrypts and not (new.encryption_cert.strip() or new.encryption_key):
        raise WorkspaceError(
            "encryption needs the SP's encryption certificate (from its metadata) or a workspace key pair"
        )
    return new


def set_sub_encryption(
    ws: Workspace,
    idm_key: str,
    *,
    policy: str | None = None,
    allow_rsa15: bool | None = None,
    new_key: bool = False,
) -> Subscription:
    """Save a subscription's encryption policy; `new_key` makes (or replaces) its key pair."""
    sub = ws.subscription(idm_key)
    if sub is None:
        raise WorkspaceError(f"no subscription has the idm_key {idm_key!r}")
    if policy is not None and policy not in ENCRYPTION_POLICIES:
        raise WorkspaceError(f"the policy must be one of {', '.join(ENCRYPTION_POLICIES)}")
    changes: dict[str, Any] = {}
    if policy is not None:
        changes["assertion_encryption"] = policy
    if allow_rsa15 is not None:
        changes["encryption_allow_rsa15"] = allow_rsa15
    if new_key or not sub.encryption_key:
        name = sub.encryption_key or f"sp-encryption-{idm_key}"
        ws.save_keypair(name, make_keypair(f"Vendor SP encryption ({idm_key})"))
        changes["encryption_key"] = name
    new = replace(sub, **changes)
    ws.save_subscription(new)
    return new


def describe_idp(s: IdPForSP) -> str:
    parts = [p for p, on in (("Assertion", s.encrypt_assertion), ("NameID", s.encrypt_name_id)) if on]
    if s.encrypt_attributes:
        parts.append("attributes")
    if not parts:
        return f"{s.name or s.entity_id}: no encryption"
    to = "its metadata's certificate" if s.encryption_cert.strip() else f"key pair {s.encryption_key!r}"
    return (
        f"{s.name or s.entity_id}: encrypts {', '.join(parts)} with {s.encryption_data_alg}, "
        f"key {s.encryption_key_alg}{' (weak)' if s.encryption_key_alg in xmlenc.WEAK_KEY_ALGS else ''}, to {to}"
    )


def describe_sub(s: Subscription) -> str:
    rsa15 = "allowed" if s.encryption_allow_rsa15 else "refused"
    key = s.encryption_key or "none"
    return f"subscription {s.idm_key} ({s.name}): policy {s.assertion_encryption}, key pair {key}, RSA 1.5 {rsa15}"
