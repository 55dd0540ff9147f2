"""Read an incoming AuthnRequest: our XML safety rules first, then pysaml2's own checks.

The plain, unsigned request of every day is read by `plain_authn_request` (the same checks,
without pysaml2's object tree); any other goes through pysaml2's parse_authn_request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from saml2.server import Server

from mock_idp.plain_authn_request import read_plain
from mock_idp.request_policy import RequestPolicy, from_message
from samlkit import codec, ns
from samlkit.safexml import UnsafeXML, parse


class RequestProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ParsedRequest:
    id: str
    issuer: str
    acs_url: str | None
    force_authn: bool
    policy: RequestPolicy  # NameIDPolicy, IsPassive, ForceAuthn, RequestedAuthnContext, ACS


def decode(value: str, binding: str) -> etree._Element:
    """The SAMLRequest's XML, decoded and parsed under our safety rules (or RequestProblem)."""
    try:
        xml = codec.decode_redirect(value) if binding == ns.BINDING_REDIRECT else codec.decode_post(value)
        return parse(xml)
    except codec.DecodeError as err:
        raise RequestProblem("malformed-message", f"the SAMLRequest cannot be decoded: {err}") from err
    except UnsafeXML as err:
        raise RequestProblem(err.code, f"the SAMLRequest was refused: {err.message}") from err


def read_authn_request(server: Server, value: str, binding: str, root: etree._Element | None = None) -> ParsedRequest:
    """`root`: the value already decoded by `decode` (the caller parsed it once for both readers)."""
    if root is None:
        root = decode(value, binding)
    if root.tag != ns.q(ns.SAMLP, "AuthnRequest"):
        raise RequestProblem("not-an-authn-request", "the SAMLRequest is not an AuthnRequest")
    if root.get("Version") != "2.0":
        raise RequestProblem("not-saml2", "only SAML 2.0 requests are accepted")
    if root.find(ns.q(ns.DS, "Signature")) is None:
        plain = read_plain(root, server.config.endpoint("single_sign_on_service", binding, "idp"))
        if plain is not None:
            return _parsed(plain)
    try:
        req = server.parse_authn_request(value, binding)
    except Exception as err:  # pysaml2 raises bare Exceptions
        raise RequestProblem("authn-request-invalid", f"the AuthnRequest was refused: {err}") from err
    if req is None:
        raise RequestProblem("authn-request-invalid", "the AuthnRequest was refused")
    return _parsed(req.message)


def _parsed(msg: Any) -> ParsedRequest:
    """pysaml2's AuthnRequest, or the plain reader's view with the same attribute names."""
    issuer = msg.issuer.text.strip() if msg.issuer is not None and msg.issuer.text else ""
    return ParsedRequest(
        id=msg.id,
        issuer=issuer,
        acs_url=msg.assertion_consumer_service_url,
        force_authn=str(msg.force_authn).lower() == "true",
        policy=from_message(msg),
    )
