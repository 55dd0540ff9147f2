"""Plain inputs of the mock IdP: its users, the SPs it serves and how it answers each."""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_idp.contract import IdPRoute

SIGN_CHOICES = ("assertion", "response", "both", "none")
NAMEID_FORMATS = ("unspecified", "emailAddress", "persistent", "transient")
# Attribute name released -> the user field it comes from.
STANDARD_ATTRIBUTES = {
    "uid": "username",
    "mail": "email",
    "givenName": "first_name",
    "sn": "last_name",
    "groups": "groups",
}


@dataclass
class IdPUser:
    username: str
    password: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    groups: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    totp_secret: str | None = None  # set: the user must give a TOTP code after the password

    def field_values(self, name: str) -> list[str]:
        """The values of a user field, a standard attribute name or an extra attribute."""
        name = STANDARD_ATTRIBUTES.get(name, name)
        if name == "groups":
            return list(self.groups)
        if name in ("username", "email", "first_name", "last_name"):
            v = getattr(self, name)
            return [v] if v else []
        v = self.extra.get(name)
        if v is None:
            return []
        return [v] if isinstance(v, str) else [str(x) for x in v]


@dataclass
class SPSettings:
    """How the IdP answers one SP."""

    entity_id: str
    acs_url: str
    name: str = ""
    acs_index: int = 0  # the index of acs_url in the SP's metadata (an AuthnRequest may name it)
    acs_others: dict[str, str] = field(default_factory=dict)  # more HTTP-POST ACS of its metadata: index -> URL
    nameid_format: str = "unspecified"
    nameid_source: str = "username"  # a user field or extra attribute name
    attributes: list[str] = field(default_factory=lambda: ["uid", "mail", "givenName", "sn", "groups"])
    sign: str = "assertion"  # assertion | response | both | none
    sig_hash: str = "sha256"  # sha1 | sha256 | sha384 | sha512
    digest_hash: str | None = None  # defaults to sig_hash
    lifetime: int = 300  # seconds the assertion is valid
    clock_offset: int = 0  # seconds added to the IdP's clock
    key_pem: bytes | None = None  # signing key for this SP; None: the IdP's key
    cert_pem: bytes | None = None
    default_relay_state: str = ""
    slo_url: str = ""  # the SP's SingleLogoutService; empty: the IdP cannot log the user out there
    slo_binding: str = "redirect"  # how the IdP sends LogoutRequests/Responses to it: redirect | post
    sp_cert_pem: bytes | None = None  # the SP's signing certificate (from its metadata)
    want_authn_requests_signed: bool = False  # refuse unsigned or badly signed AuthnRequests
    # Encryption to the SP's certificate (its metadata's use="encryption" key), signing first.
    encrypt_assertion: bool = False
    encrypt_name_id: bool = False  # EncryptedID inside the (signed) Assertion
    encrypt_attributes: bool = False  # each Attribute as an EncryptedAttribute
    encryption_data_alg: str = "aes256-gcm"  # samlkit.xmlenc.DATA_ALGS
    encryption_key_alg: str = "rsa-oaep-mgf1p"  # samlkit.xmlenc.KEY_ALGS (rsa-1_5 is weak)
    encryption_cert_pem: bytes | None = None

    @property
    def encrypts(self) -> bool:
        return self.encrypt_assertion or self.encrypt_name_id or self.encrypt_attributes


@dataclass
class IdPConfig:
    entity_id: str
    base_url: str  # e.g. http://127.0.0.1:8444 (no trailing slash)
    key_pem: bytes
    cert_pem: bytes
    users: list[IdPUser] = field(default_factory=list)
    sps: list[SPSettings] = field(default_factory=list)
    accepted_time_diff: int = 60
    session_lifetime: int = 8 * 3600
    other_cert_pem: bytes | None = None  # a rollover's other certificate, published in metadata too

    @property
    def sso_url(self) -> str:
        return self.base_url + IdPRoute.SSO

    @property
    def slo_url(self) -> str:
        return self.base_url + IdPRoute.SLO

    def user(self, username: str) -> IdPUser | None:
        for u in self.users:
            if u.username == username:
                return u
        return None

    def sp(self, entity_id: str) -> SPSettings | None:
        for s in self.sps:
            if s.entity_id == entity_id:
                return s
        return None
