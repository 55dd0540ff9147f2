"""Tampering: content changed after the IdP signed it.

Rule: the digest of every signed element must match its content; any change after signing
makes the signature invalid, and a safe SP refuses the message (docs/ARCHITECTURE.md, security baseline).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import (
    Context,
    Message,
    conditions,
    instant,
    q,
    scenario,
    set_name_id,
    unsigned_copy,
    utcnow,
)
from samlkit import ns

_s = partial(scenario, family="tampering")
_INVALID = {"signature-invalid"}


@_s("tampered-nameid", rule="A signed NameID cannot be changed.", expect=_INVALID)
def nameid(ctx: Context) -> Message:
    """Response and Assertion signed; the NameID changed to the victim afterwards."""
    resp, assertion = ctx.signed("both")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s("tampered-nameid-assertion-signed", rule="A signed Assertion cannot be changed.", expect=_INVALID)
def nameid_assertion_only(ctx: Context) -> Message:
    """Only the Assertion signed (as many IdPs do); the NameID changed to the victim afterwards."""
    resp, assertion = ctx.signed("assertion")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "tampered-nameid-response-signed",
    rule="A Response signature covers the Assertion inside it.",
    expect=_INVALID | {"signature-missing"},
)
def nameid_response_only(ctx: Context) -> Message:
    """Only the Response signed; the Assertion's NameID changed to the victim afterwards."""
    resp, assertion = ctx.signed("response")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s("tampered-attribute", rule="Signed attributes cannot be changed.", expect=_INVALID)
def attribute(ctx: Context) -> Message:
    """A privileged group value added to the signed AttributeStatement."""
    resp, assertion = ctx.signed("both")
    statement = assertion.find(q("AttributeStatement"))
    if statement is None:
        statement = assertion.makeelement(q("AttributeStatement"))
        assertion.append(statement)
    attr = statement.makeelement(q("Attribute"), {"Name": "groups", "NameFormat": ns.ATTRNAME_BASIC})
    statement.append(attr)
    value = attr.makeelement(q("AttributeValue"))
    value.text = "administrators"
    attr.append(value)
    return ctx.message(resp)


@_s("tampered-conditions", rule="The signed validity window cannot be stretched.", expect=_INVALID)
def conditions_stretched(ctx: Context) -> Message:
    """Conditions NotOnOrAfter pushed a year ahead after signing."""
    resp, assertion = ctx.signed("both")
    conditions(assertion).set("NotOnOrAfter", instant(utcnow(ctx) + dt.timedelta(days=365)))
    return ctx.message(resp)


@_s("tampered-digest-value", rule="A DigestValue must match the content it covers.", expect=_INVALID)
def digest_value(ctx: Context) -> Message:
    """The NameID changed and the Assertion's DigestValue replaced by the digest of the new content."""
    resp, assertion = ctx.signed("assertion")
    set_name_id(assertion, ctx.victim_name_id)
    c14n = etree.tostring(unsigned_copy(assertion), method="c14n", exclusive=True)
    ref = assertion.find(f"{q('Signature', ns.DS)}/{q('SignedInfo', ns.DS)}/{q('Reference', ns.DS)}")
    ref.find(q("DigestValue", ns.DS)).text = base64.b64encode(hashlib.sha256(c14n).digest()).decode()
    return ctx.message(resp)


SCENARIOS = [nameid, nameid_assertion_only, nameid_response_only, attribute, conditions_stretched, digest_value]
