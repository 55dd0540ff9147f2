"""What a workspace stores: the profiles, the mock IdP's per-SP settings, provisioning rules, and
their JSON form (exports, fixtures, control API changes), with the type check an import passes.

Values may carry the placeholders `{sp}` and `{mock_idp}`, resolved by `resolve` when the servers
start and their ports are known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sp.model import (
    DEFAULT_ACS_PATH,
    DEFAULT_ENTITY_ID,
    DEFAULT_LOGIN_PATH,
    DEFAULT_SLO_PATH,
    Account,
    Subscription,
)


class WorkspaceError(Exception):
    """A workspace that cannot be opened or a value that cannot be saved, in plain words."""


class WorkspaceBusy(WorkspaceError):
    """Another harness holds the writer lock (`pid`): route the change through its control API."""

    def __init__(self, message: str, pid: int | None):
        super().__init__(message)
        self.pid = pid


@dataclass
class IdPProfile:
    entity_id: str = "https://idp.demo-corp.example/saml"
    signing_key: str = "idp-signing"
    rollover_key: str = ""  # during a rollover: the other key pair, whose certificate metadata lists too
    port: int = 8444
    accepted_time_diff: int = 60


@dataclass
class SPProfile:
    entity_id: str = DEFAULT_ENTITY_ID
    acs_path: str = DEFAULT_ACS_PATH
    login_path: str = DEFAULT_LOGIN_PATH
    port: int = 8443
    clock_skew: int = 60
    signing_key: str = "sp-signing"  # signs AuthnRequests (when a subscription says so) and Single Logout
    https: bool = False  # serve both the SP and the mock IdP over HTTPS (harness.core.tls)


@dataclass
class IdPForSP:
    """The mock IdP's settings for one SP (SPSettings without key material: keys are named)."""

    entity_id: str = DEFAULT_ENTITY_ID
    acs_url: str = "{sp}" + DEFAULT_ACS_PATH
    name: str = "Vendor SP (embedded)"
    acs_index: int = 0  # the index of acs_url in the SP's metadata
    acs_others: dict[str, str] = field(default_factory=dict)  # more HTTP-POST ACS of its metadata: index -> URL
    nameid_format: str = "unspecified"
    nameid_source: str = "username"
    attributes: list[str] = field(default_factory=lambda: ["uid", "mail", "givenName", "sn", "groups"])
    sign: str = "assertion"
    sig_hash: str = "sha256"
    digest_hash: str | None = None
    lifetime: int = 300
    clock_offset: int = 0
    signing_key: str | None = None  # None: the IdP's key
    default_relay_state: str = ""
    slo_url: str = "{sp}" + DEFAULT_SLO_PATH  # the SP's SingleLogoutService ("" : none)
    slo_binding: str = "redirect"
    sp_certificate: str = ""  # the SP's signing certificate, PEM; "" for the embedded SP: its own
    want_authn_requests_signed: bool = False
    encrypt_assertion: bool = False
    encrypt_name_id: bool = False
    encrypt_attributes: bool = False
    encryption_data_alg: str = "aes256-gcm"
    encryption_key_alg: str = "rsa-oaep-mgf1p"
    # The SP's encryption certificate: PEM text (from an external SP's metadata), else the
    # certificate of a workspace key pair (the embedded SP's subscription key, e.g. sp-encryption-4711).
    encryption_cert: str = ""
    encryption_key: str = ""


@dataclass
class Rule:
    """Provisioning: members of `group` get `role` and `scope` (first matching rule wins)."""

    group: str
    role: str
    scope: list[str] = field(default_factory=list)


def _from(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


_PLAIN = {"str": str, "bool": bool, "int": int}


def _checked(obj: Any) -> Any:
    """Refuse an imported entry whose fields have the wrong JSON types (a None URL, a list for a name)."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        kind = _PLAIN.get(f.type) or (
            list if f.type.startswith("list[") else dict if f.type.startswith("dict[") else None
        )
        items = value if kind is list and isinstance(value, list) else []
        if (kind is not None and not isinstance(value, kind)) or (
            f.type == "list[str]" and not all(isinstance(x, str) for x in items)
        ):
            shown = repr(value)[:60]
            raise WorkspaceError(f"the workspace file has a malformed {type(obj).__name__}: {f.name} is {shown}")
        for x in items:
            if hasattr(x, "__dataclass_fields__"):
                _checked(x)
    return obj


# PEM fields of a subscription, kept as text in JSON. A workspace written before a field existed
# reads it as empty: that is its migration (idp_cert_pem_next: no rollover in progress).
_SUB_PEMS = ("idp_cert_pem", "idp_cert_pem_next")


def _sub_to_json(s: Subscription) -> dict[str, Any]:
    d = asdict(s)
    for name in _SUB_PEMS:
        d[name] = d[name].decode("ascii", "replace") if d[name] else ""
    # The encryption key pair lives in keys/ (0600), named by `encryption_key`; never in the document.
    d.pop("encryption_key_pem", None)
    d.pop("encryption_cert_pem", None)
    return d


def _sub_from_json(d: dict[str, Any]) -> Subscription:
    d = dict(d)
    for name in _SUB_PEMS:
        d[name] = (d.get(name) or "").encode("ascii")
    d["accounts"] = [_from(Account, a) for a in d.get("accounts", [])]
    d.pop("encryption_key_pem", None)
    d.pop("encryption_cert_pem", None)
    return _from(Subscription, d)


def resolve(value: str, sp_base: str, idp_base: str) -> str:
    return value.replace("{sp}", sp_base).replace("{mock_idp}", idp_base)
