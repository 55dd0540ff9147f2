"""Workspace changes sent by another harness command while this harness holds the writer lock.

`onboard`, `certs make|rotate`, `provision` and the like open a locked workspace as a
`RoutedWorkspace`: they read it directly and send each save here as a change, the same
document-level operations `Workspace` performs (put, delete, replace a kind, save a key pair).
They are applied in one transaction through the workspace's own typed methods, so every check
a local save makes (two accounts sharing a login, SAML without the NDS model, ...) still runs.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization

from harness.core.certs import CertError, KeyPair, describe_cert
from harness.core.control.errors import bad
from harness.core.workspace import IdPForSP, IdPProfile, Rule, SPProfile, Workspace, WorkspaceError
from harness.core.workspace_records import _checked, _from, _sub_from_json
from mock_idp.model import IdPUser

MAX_CHANGES = 1000


def _put(ws: Workspace, kind: str, key: str, data: dict[str, Any]) -> None:
    if kind == "idp_user":
        user = _checked(_from(IdPUser, data))
        if user.username != key:
            raise bad(f"the user's key {key!r} differs from its username {user.username!r}")
        ws.save_user(user)
    elif kind == "idp_sp":
        ws.save_idp_for_sp(_checked(_from(IdPForSP, data)))
    elif kind == "subscription":
        ws.save_subscription(_checked(_sub_from_json(data)))
    elif kind == "profile" and key in ("idp", "sp"):
        if key == "idp":
            ws.set_idp_profile(_checked(_from(IdPProfile, data)))
        else:
            ws.set_sp_profile(_checked(_from(SPProfile, data)))
    else:
        raise bad(f"cannot put a {kind!r} named {key!r}")


def _delete(ws: Workspace, kind: str, key: str) -> None:
    deleters = {"idp_user": ws.delete_user, "idp_sp": ws.delete_idp_for_sp, "subscription": ws.delete_subscription}
    if kind not in deleters:
        raise bad(f"cannot delete a {kind!r}")
    deleters[kind](key)


def _keypair(ws: Workspace, name: str, key_pem: str, cert_pem: str) -> None:
    try:
        describe_cert(cert_pem.encode())
        serialization.load_pem_private_key(key_pem.encode(), None)
    except (CertError, ValueError, TypeError) as err:
        raise bad(f"the key pair {name!r} does not parse ({err})") from err
    ws.save_keypair(name, KeyPair(key_pem=key_pem.encode(), cert_pem=cert_pem.encode()))


def _one(ws: Workspace, change: Any) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("op"), str):
        raise bad("each change is an object with an op")
    op = change["op"]
    try:
        if op == "put":
            if not isinstance(change.get("data"), dict):
                raise bad("a put needs data, an object")
            _put(ws, str(change.get("kind")), str(change.get("key")), change["data"])
        elif op == "delete":
            _delete(ws, str(change.get("kind")), str(change.get("key")))
        elif op == "replace_all" and change.get("kind") == "rule":
            ws.set_rules([_checked(_from(Rule, item[1])) for item in change.get("items", [])])
        elif op == "keypair":
            _keypair(ws, str(change.get("name")), str(change.get("key_pem")), str(change.get("cert_pem")))
        else:
            raise bad(f"unknown change {op!r}")
    except (TypeError, AttributeError, KeyError, IndexError) as err:
        raise bad(f"a malformed {op} change ({type(err).__name__}: {err})") from err


def apply_changes(ws: Workspace, changes: Any) -> int:
    """Apply every change or none; the number applied."""
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        raise bad(f"changes must be a list of at most {MAX_CHANGES}")
    try:
        with ws._transaction():
            for change in changes:
                _one(ws, change)
    except WorkspaceError as err:
        raise bad(str(err), "workspace-refused") from err
    return len(changes)
