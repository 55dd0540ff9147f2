"""Plain inputs of the vendor-style SP: its profile, subscriptions (trust) and accounts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sp.contract.http import Route

ROLES = ("Manager", "Unit Manager", "Scanner", "Reader")
MAPPING_MODES = ("login", "external_id", "either")  # either: External ID first, then login
DEFAULT_ENTITY_ID = "QualysGuard_SharedPlatformSAML20SP"
DEFAULT_ACS_PATH = str(Route.ACS)
DEFAULT_LOGIN_PATH = str(Route.LOGIN)
DEFAULT_SLO_PATH = str(Route.SLO)
SLO_BINDINGS = ("redirect", "post")
# What the ACS does with an EncryptedAssertion: accept plain or encrypted (the vendor guide never
# asks IdPs to encrypt), accept plain ones only, or require encryption.
ENCRYPTION_POLICIES = ("accept", "plain", "require")


@dataclass
class Account:
    login: str
    external_id: str = ""
    saml_enabled: bool = False
    role: str = "Reader"
    scope: list[str] = field(default_factory=list)  # asset groups
    active: bool = True
    password: str = ""  # for the user API only: SAML never uses it
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass
class Subscription:
    """One onboarding: a customer's trust (the questionnaire) and its accounts."""

    idm_key: str
    name: str = ""
    primary_contact: str = ""  # the Manager username, e.g. abcd_ef
    exit_url: str = ""
    nds_enabled: bool = True  # New Data Security Model: SAML needs it
    idp_entity_id: str = ""
    idp_cert_pem: bytes = b""
    idp_cert_pem_next: bytes = b""  # a rollover's new certificate, trusted beside the current one (sp.trust)
    idp_sso_url: str = ""
    allow_idp_initiated: bool = True
    mapping_mode: str = "login"  # login | external_id | either
    identity_source: str = "nameid"  # "nameid" or "attribute:<Name>"
    require_signed_assertion: bool = True
    idp_slo_url: str = ""  # the IdP's SingleLogoutService; empty: logout ends the SP session only
    slo_binding: str = "redirect"  # how the SP sends its LogoutRequest: redirect | post
    sign_authn_requests: bool = False  # sign AuthnRequests with the SP's key (the vendor's default: off)
    authn_request_binding: str = "redirect"  # redirect (the vendor's) | post
    assertion_encryption: str = "accept"  # one of ENCRYPTION_POLICIES
    encryption_key: str = ""  # the name of the workspace key pair that decrypts (published in metadata)
    encryption_allow_rsa15: bool = False  # RSA 1.5 key transport (Bleichenbacher-prone): refused unless set
    encryption_key_pem: bytes = b""  # the key pair itself, filled in from `encryption_key` by the harness
    encryption_cert_pem: bytes = b""
    # What the AuthnRequest asks of the IdP, to rehearse a real IdP's answers (sp.request_options).
    request_force_authn: bool = False
    request_passive: bool = False
    request_nameid_format: str = ""  # "" sends no NameIDPolicy; a short name (persistent...) or a URI
    request_allow_create: bool = True
    request_authn_context: list[str] = field(default_factory=list)  # class refs, or mfa / totp / ppt / password
    request_authn_comparison: str = "exact"  # exact | minimum | better | maximum
    accounts: list[Account] = field(default_factory=list)

    @property
    def saml_ready(self) -> bool:
        return bool(self.nds_enabled and self.idp_entity_id and self.idp_cert_pem and self.idp_sso_url)


@dataclass
class SPConfig:
    base_url: str  # e.g. http://127.0.0.1:8443 (no trailing slash)
    entity_id: str = DEFAULT_ENTITY_ID
    acs_path: str = DEFAULT_ACS_PATH
    login_path: str = DEFAULT_LOGIN_PATH
    subscriptions: list[Subscription] = field(default_factory=list)
    clock_skew: int = 60  # seconds of tolerance on every time check
    session_lifetime: int = 8 * 3600
    request_lifetime: int = 600  # how long an AuthnRequest may stay unanswered
    max_body: int = 4 * 1024 * 1024  # bytes of request body; a 1.1 MB Response posts as ~1.5 MB
    slo_path: str = DEFAULT_SLO_PATH
    key_pem: bytes = b""  # the SP's signing key (AuthnRequests, Single Logout); empty: it cannot sign
    cert_pem: bytes = b""

    @property
    def slo_url(self) -> str:
        return self.base_url + self.slo_path

    @property
    def acs_url(self) -> str:
        return self.base_url + self.acs_path

    def login_url(self, idm_key: str) -> str:
        return f"{self.base_url}{self.login_path}?idm_key={idm_key}"

    def subscription(self, idm_key: str | None) -> Subscription | None:
        for s in self.subscriptions:
            if s.idm_key == idm_key:
                return s
        return None
