"""Malformed and oversized messages: the SP answers a clear 4xx, quickly, with bounded memory.

Rule: the SP limits the body and message size, decodes HTTP-POST values as plain base64
only (never inflating them), takes only well-formed SAML 2.0 Responses, and turns every
failure into a 4xx with a reason code: never a 5xx, never a traceback (docs/ARCHITECTURE.md, security baseline).
"""

from __future__ import annotations

import base64
from functools import partial

from lxml import etree

from mock_idp.response import new_id
from mock_idp.scenarios.base import Context, Message, instant, samlp_extensions, scenario, serialize, utcnow
from samlkit import codec, ns

_s = partial(scenario, family="malformed")
SAML1_PROTOCOL = "urn:oasis:names:tc:SAML:1.0:protocol"


def _raw(ctx: Context, value: str | None, xml: bytes | None = None) -> Message:
    fields = {} if value is None else {"SAMLResponse": value}
    if ctx.relay_state:
        fields["RelayState"] = ctx.relay_state
    return Message(fields, xml)


@_s("saml-response-missing", rule="A POST without SAMLResponse is refused.", expect={"message-missing"})
def missing(ctx: Context) -> Message:
    """The ACS form without a SAMLResponse field."""
    return _raw(ctx, None)


@_s("saml-response-empty", rule="An empty SAMLResponse is refused.", expect={"message-missing"})
def empty(ctx: Context) -> Message:
    """SAMLResponse is the empty string."""
    return _raw(ctx, "")


@_s("malformed-base64", rule="A SAMLResponse that is not base64 is refused.", expect={"malformed-message"})
def bad_base64(ctx: Context) -> Message:
    """SAMLResponse is "!!not base64!!" (with a stray '=' inside)."""
    return _raw(ctx, "!!not=base64!!")


@_s(
    "non-ascii-base64",
    rule="A SAMLResponse with non-ASCII characters is refused, not crashed on.",
    expect={"malformed-message"},
)
def non_ascii(ctx: Context) -> Message:
    """The legitimate value with non-ASCII characters appended."""
    return _raw(ctx, ctx.legitimate().fields["SAMLResponse"] + "é€")


@_s(
    "not-xml",
    rule="Base64 of something that is not XML is refused.",
    expect={"malformed-xml", "malformed-message"},
)
def not_xml(ctx: Context) -> Message:
    """Valid base64 of binary noise."""
    data = bytes(range(256)) * 4
    return _raw(ctx, base64.b64encode(data).decode())


@_s("truncated-xml", rule="A truncated (not well-formed) message is refused.", expect={"malformed-xml"})
def truncated(ctx: Context) -> Message:
    """The legitimate Response cut in half."""
    xml = ctx.legitimate().xml or b""
    cut = xml[: len(xml) // 2]
    return _raw(ctx, codec.encode_post(cut), cut)


@_s(
    "deflated-post",
    rule="HTTP-POST carries plain base64; a DEFLATE-compressed value (HTTP-Redirect encoding) is refused.",
    expect={"malformed-message"},
)
def deflated(ctx: Context) -> Message:
    """The legitimate Response DEFLATE-compressed, then base64-encoded, as the Redirect binding would."""
    xml = ctx.legitimate().xml or b""
    return _raw(ctx, codec.encode_redirect(xml), xml)


@_s(
    "oversized",
    rule="The body is bounded: a multi-megabyte message is refused early, with bounded memory.",
    expect={"message-too-large"},
)
def oversized(ctx: Context) -> Message:
    """The legitimate Response padded with a 3 MB samlp:Extensions element."""
    resp, _ = ctx.signed("both")
    pad = etree.SubElement(samlp_extensions(resp), "{urn:example:pad}Pad")
    pad.text = "A" * (3 * 1024 * 1024)
    xml = serialize(resp)
    return _raw(ctx, codec.encode_post(xml), None)


@_s(
    "saml11-response",
    rule="SAML 1.x is not supported: only SAML 2.0 Responses are accepted.",
    expect={"not-saml2", "not-a-response", "issuer-mismatch"},
)
def saml11(ctx: Context) -> Message:
    """A SAML 1.1 samlp:Response (MajorVersion 1, MinorVersion 1) naming the attacker."""
    now = instant(utcnow(ctx))
    xml = (
        f'<samlp:Response xmlns:samlp="{SAML1_PROTOCOL}" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" '
        f'ResponseID="{new_id()}" MajorVersion="1" MinorVersion="1" IssueInstant="{now}" '
        f'Recipient="{ctx.sp.acs_url}"><samlp:Status><samlp:StatusCode Value="samlp:Success"/></samlp:Status>'
        f'<saml:Assertion AssertionID="{new_id()}" Issuer="{ctx.idp_entity_id}" MajorVersion="1" MinorVersion="1" '
        f'IssueInstant="{now}"><saml:AuthenticationStatement AuthenticationMethod='
        f'"urn:oasis:names:tc:SAML:1.0:am:password" AuthenticationInstant="{now}"><saml:Subject>'
        f"<saml:NameIdentifier>{ctx.name_id()}</saml:NameIdentifier></saml:Subject>"
        "</saml:AuthenticationStatement></saml:Assertion></samlp:Response>"
    ).encode()
    return _raw(ctx, codec.encode_post(xml), xml)


@_s(
    "wrong-version",
    rule="Version must be 2.0 on the Response and the Assertion.",
    expect={"not-saml2"},
)
def wrong_version(ctx: Context) -> Message:
    """A genuinely signed Response and Assertion that both say Version="3.0"."""

    def edit(resp: etree._Element, assertion: etree._Element) -> None:
        resp.set("Version", "3.0")
        assertion.set("Version", "3.0")

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "not-a-response",
    rule="Only a samlp:Response is taken at the ACS.",
    expect={"not-a-response"},
)
def authn_request(ctx: Context) -> Message:
    """An AuthnRequest posted to the ACS as if it were a Response."""
    root = etree.Element(ns.q(ns.SAMLP, "AuthnRequest"), nsmap={"samlp": ns.SAMLP, "saml": ns.SAML})
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(utcnow(ctx)))
    root.set("AssertionConsumerServiceURL", ctx.sp.acs_url)
    etree.SubElement(root, ns.q(ns.SAML, "Issuer")).text = ctx.idp_entity_id
    return ctx.message(root)


@_s(
    "encrypted-and-plain-assertion",
    rule="A Response holds exactly one Assertion; an EncryptedAssertion next to it is not ignored.",
    expect={"encrypted-assertion-unsupported", "assertion-count", "signature-invalid"},
)
def encrypted_and_plain(ctx: Context) -> Message:
    """A dummy EncryptedAssertion added after the signed Assertion (both signatures kept)."""
    resp, _ = ctx.signed("both")
    enc = etree.SubElement(resp, ns.q(ns.SAML, "EncryptedAssertion"))
    etree.SubElement(enc, "{http://www.w3.org/2001/04/xmlenc#}EncryptedData")
    return ctx.message(resp)


SCENARIOS = [
    missing,
    empty,
    bad_base64,
    non_ascii,
    not_xml,
    truncated,
    deflated,
    oversized,
    saml11,
    wrong_version,
    authn_request,
    encrypted_and_plain,
]
