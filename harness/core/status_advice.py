"""What to fix when the IdP answers with an error status, by its second-level StatusCode.

Some errors are the IdP's to fix; others answer what the SP asked for in its AuthnRequest
(IsPassive, a NameIDPolicy, a RequestedAuthnContext), and then the request is what to change.
"""

from __future__ import annotations

import re

_STATUS = re.compile(r"urn:oasis:names:tc:SAML:2\.0:status:(\w+)")

_ADVICE = {
    "NoPassive": (
        "SP",
        "The subscription's AuthnRequest asks for IsPassive and the user had no session at the IdP: sign in at "
        "the IdP first, or turn IsPassive off for the subscription.",
    ),
    "InvalidNameIDPolicy": (
        "SP",
        "The subscription's NameIDPolicy asks for a format the IdP does not offer, or AllowCreate=false for a user "
        "the IdP has no identifier for: change the subscription's NameIDPolicy, or enable the format at the IdP.",
    ),
    "NoAuthnContext": (
        "IdP",
        "The user cannot authenticate as strongly as the subscription's RequestedAuthnContext asks: enrol the "
        "user in a second factor at the IdP, or have the subscription ask for a weaker class or comparison.",
    ),
    "AuthnFailed": ("IdP", "The IdP could not authenticate the user: see the IdP's logs."),
    "RequestDenied": ("IdP", "The IdP refused the request: see its policy for this application."),
}


def advice(status: str) -> tuple[str, str] | None:
    """(side, fix) for a text naming status codes ("…:Responder / …:NoPassive: …" or "… (…:NoPassive) …")."""
    for name in _STATUS.findall(status):
        if name in _ADVICE:
            return _ADVICE[name]
    return None
