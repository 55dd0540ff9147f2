"""XML Signature Wrapping (XSW): the signed element moves, an unsigned evil one takes its place.

Rule: the SP must read the identity only from the very element whose signature it verified,
and a Response holds exactly one Assertion with unique IDs (docs/ARCHITECTURE.md, security baseline). XSW1-XSW8 follow
Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be" (USENIX Security 2012), as
SAML Raider implements them; the relatives cover a second assertion, duplicated IDs and
wrapping inside samlp:Extensions, ds:Object and samlp:StatusDetail. Each evil assertion
names the victim.

XSW1-2 attack a Response-level signature (the IdP signs only the Response); XSW3-8 attack an
Assertion-level signature (the IdP signs only the Assertion).
"""

from __future__ import annotations

from functools import partial

from lxml import etree

from mock_idp.response import new_id
from mock_idp.scenarios.base import (
    HARM_IMPERSONATION,
    WRAPPING_REFUSALS,
    Context,
    Message,
    evil_assertion,
    q,
    samlp_extensions,
    scenario,
    set_name_id,
    signature_of,
    unsigned_copy,
)
from samlkit import ns

_s = partial(scenario, family="wrapping")
_LOOKALIKE_NS = "urn:oasis:names:tc:SAML:2.0:assertion:"
_RULE_R = "The identity must come from the Response whose signature verified, not from a wrapper around it."
_RULE_A = "The identity must come from the Assertion whose signature verified, and there is exactly one Assertion."


def _evil_response(ctx: Context) -> tuple[etree._Element, etree._Element, etree._Element]:
    """Response-only signed; the root renamed and its Assertion changed; returns (root, signature, original copy)."""
    resp, assertion = ctx.signed("response")
    original = unsigned_copy(resp)
    resp.set("ID", new_id())
    set_name_id(assertion, ctx.victim_name_id)
    return resp, signature_of(resp), original


@_s("xsw1", rule=_RULE_R, expect=WRAPPING_REFUSALS)
def xsw1(ctx: Context) -> Message:
    """XSW1: an evil Response wraps the signed original, which now sits inside the Signature element."""
    resp, sig, original = _evil_response(ctx)
    sig.append(original)
    return ctx.message(resp)


@_s("xsw2", rule=_RULE_R, expect=WRAPPING_REFUSALS)
def xsw2(ctx: Context) -> Message:
    """XSW2: an evil Response holds the signed original just before its (now detached) Signature."""
    resp, sig, original = _evil_response(ctx)
    sig.addprevious(original)
    return ctx.message(resp)


@_s("xsw3", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw3(ctx: Context) -> Message:
    """XSW3: an unsigned evil Assertion inserted before the signed original, as its sibling."""
    resp, assertion = ctx.signed("assertion")
    assertion.addprevious(evil_assertion(ctx, assertion))
    return ctx.message(resp)


@_s("xsw4", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw4(ctx: Context) -> Message:
    """XSW4: an unsigned evil Assertion takes the original's place and holds the signed original as a child."""
    resp, assertion = ctx.signed("assertion")
    evil = evil_assertion(ctx, assertion)
    assertion.addprevious(evil)
    evil.append(assertion)
    return ctx.message(resp)


@_s("xsw5", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw5(ctx: Context) -> Message:
    """XSW5: the evil Assertion keeps the original Signature in place; an unsigned copy of the original is appended."""
    resp, assertion = ctx.signed("assertion")
    resp.append(unsigned_copy(assertion))
    assertion.set("ID", new_id())
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s("xsw6", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw6(ctx: Context) -> Message:
    """XSW6: like XSW5, but the copy of the original sits inside the evil Assertion's Signature."""
    resp, assertion = ctx.signed("assertion")
    signature_of(assertion).append(unsigned_copy(assertion))
    assertion.set("ID", new_id())
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s("xsw7", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw7(ctx: Context) -> Message:
    """XSW7: an unsigned evil copy (same ID) inside an un-namespaced Extensions element before the signed original."""
    resp, assertion = ctx.signed("assertion")
    ext = etree.Element("Extensions")
    assertion.addprevious(ext)
    ext.append(evil_assertion(ctx, assertion, keep_id=True))
    return ctx.message(resp)


@_s("xsw8", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def xsw8(ctx: Context) -> Message:
    """XSW8: the evil Assertion keeps the Signature; the unsigned original (same ID) hides in a ds:Object in it."""
    resp, assertion = ctx.signed("assertion")
    obj = etree.SubElement(signature_of(assertion), q("Object", ns.DS))
    obj.append(unsigned_copy(assertion))
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


# -- relatives --------------------------------------------------------------------------------


@_s("second-assertion-appended", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def second_assertion(ctx: Context) -> Message:
    """A second, unsigned Assertion for the victim appended after the signed one (both signatures kept)."""
    resp, assertion = ctx.signed("both")
    resp.append(evil_assertion(ctx, assertion))
    return ctx.message(resp)


@_s("second-assertion-signed-response", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def second_assertion_signed(ctx: Context) -> Message:
    """Two Assertions (the attacker's signed one, then the victim's unsigned one) in a Response the IdP signed."""
    resp, assertion = ctx.build()
    ctx.sign(resp, assertion, "assertion")
    resp.append(evil_assertion(ctx, assertion))
    ctx.sign(resp, assertion, "response")
    return ctx.message(resp)


@_s("duplicate-id-evil-first", rule="Every ID in a message is unique.", expect=WRAPPING_REFUSALS)
def duplicate_id_first(ctx: Context) -> Message:
    """An evil Assertion with the signed Assertion's very ID placed before it."""
    resp, assertion = ctx.signed("assertion")
    assertion.addprevious(evil_assertion(ctx, assertion, keep_id=True))
    return ctx.message(resp)


@_s("duplicate-id-evil-last", rule="Every ID in a message is unique.", expect=WRAPPING_REFUSALS)
def duplicate_id_last(ctx: Context) -> Message:
    """An evil Assertion with the signed Assertion's very ID placed after it."""
    resp, assertion = ctx.signed("assertion")
    assertion.addnext(evil_assertion(ctx, assertion, keep_id=True))
    return ctx.message(resp)


@_s("wrapped-in-extensions", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def in_extensions(ctx: Context) -> Message:
    """The signed original moved into samlp:Extensions; an unsigned evil Assertion stands in its place."""
    resp, assertion = ctx.signed("assertion")
    evil = evil_assertion(ctx, assertion)
    assertion.addprevious(evil)
    samlp_extensions(resp).append(assertion)
    return ctx.message(resp)


@_s("wrapped-in-extensions-signed-response", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def in_extensions_signed(ctx: Context) -> Message:
    """Evil Assertion first in samlp:Extensions, the IdP-signed Response and Assertion otherwise intact."""
    resp, assertion = ctx.signed("both")
    samlp_extensions(resp).append(evil_assertion(ctx, assertion))
    return ctx.message(resp)


@_s("wrapped-in-object", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def in_object(ctx: Context) -> Message:
    """The evil Assertion (fresh ID) keeps the Signature; the unsigned original sits in a ds:Object inside it."""
    resp, assertion = ctx.signed("assertion")
    obj = etree.SubElement(signature_of(assertion), q("Object", ns.DS))
    obj.append(unsigned_copy(assertion))
    assertion.set("ID", new_id())
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s("wrapped-in-status-detail", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def in_status_detail(ctx: Context) -> Message:
    """The signed original moved into samlp:StatusDetail; an unsigned evil Assertion stands in its place."""
    resp, assertion = ctx.signed("assertion")
    evil = evil_assertion(ctx, assertion)
    assertion.addprevious(evil)
    detail = etree.SubElement(resp.find(q("Status", ns.SAMLP)), q("StatusDetail", ns.SAMLP))
    detail.append(assertion)
    return ctx.message(resp)


@_s("assertion-signature-moved", rule=_RULE_A, expect=WRAPPING_REFUSALS)
def signature_moved(ctx: Context) -> Message:
    """The signed original's Signature moved onto an evil Assertion; the original (same ID) stays, unsigned."""
    resp, assertion = ctx.signed("assertion")
    sig = signature_of(assertion)
    evil = unsigned_copy(assertion)
    set_name_id(evil, ctx.victim_name_id)
    evil.set("ID", new_id())
    evil.insert(1, sig)
    assertion.addprevious(evil)
    return ctx.message(resp)


@_s(
    "assertion-namespace-confusion",
    rule="Only a SAML 2.0 Assertion counts: a look-alike element in another namespace is never read.",
    expect=WRAPPING_REFUSALS,
    harm=HARM_IMPERSONATION,
)
def namespace_confusion(ctx: Context) -> Message:
    """An evil "Assertion" in a look-alike namespace placed before the signed one (found by local-name() only)."""
    resp, assertion = ctx.signed("assertion")
    evil = evil_assertion(ctx, assertion)
    for el in evil.iter(etree.Element):
        qn = etree.QName(el)
        if qn.namespace == ns.SAML:
            el.tag = ns.q(_LOOKALIKE_NS, qn.localname)
    assertion.addprevious(evil)
    return ctx.message(resp)


SCENARIOS = [
    xsw1,
    xsw2,
    xsw3,
    xsw4,
    xsw5,
    xsw6,
    xsw7,
    xsw8,
    second_assertion,
    second_assertion_signed,
    duplicate_id_first,
    duplicate_id_last,
    in_extensions,
    in_extensions_signed,
    in_object,
    in_status_detail,
    signature_moved,
    namespace_confusion,
]
