"""Authentication context classes: their short names and how strong each is.

SAML leaves the order of classes to the IdP (core §3.3.2.2.1). This is the mock IdP's order,
the one most IdPs share: a password is weaker than a password over TLS, which is weaker than a
second factor. `https://refeds.org/profile/mfa` is the REFEDS MFA profile that Shibboleth,
Okta and Entra ID answer; TimeSyncToken is the SAML class for a one-time code (TOTP).
"""

from __future__ import annotations

PREFIX = "urn:oasis:names:tc:SAML:2.0:ac:classes:"
UNSPECIFIED = PREFIX + "unspecified"
PASSWORD = PREFIX + "Password"
PASSWORD_PROTECTED = PREFIX + "PasswordProtectedTransport"
TIME_SYNC_TOKEN = PREFIX + "TimeSyncToken"
REFEDS_MFA = "https://refeds.org/profile/mfa"

STRENGTH = {
    UNSPECIFIED: 0,
    PASSWORD: 1,
    PASSWORD_PROTECTED: 2,
    TIME_SYNC_TOKEN: 3,
    REFEDS_MFA: 3,
}
ALIASES = {
    "unspecified": UNSPECIFIED,
    "password": PASSWORD,
    "ppt": PASSWORD_PROTECTED,
    "PasswordProtectedTransport": PASSWORD_PROTECTED,
    "totp": TIME_SYNC_TOKEN,
    "TimeSyncToken": TIME_SYNC_TOKEN,
    "mfa": REFEDS_MFA,
}
COMPARISONS = ("exact", "minimum", "better", "maximum")


def expand(name: str) -> str:
    """A class reference from a short name (mfa, totp, ppt, password) or the URI itself."""
    name = name.strip()
    return ALIASES.get(name, name)


def short(uri: str) -> str:
    """The short name of a class reference, for one-line displays."""
    return next((k for k, v in ALIASES.items() if v == uri and k.islower()), uri)
