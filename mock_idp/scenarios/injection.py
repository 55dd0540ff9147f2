"""Injection into the NameID: comments, processing instructions, CDATA and whitespace.

Rule: the identity is the whole text of the verified NameID, compared exactly. Exclusive
canonicalisation drops comments, so "victim<!---->.evil" keeps the signature the IdP made
for "victim.evil"; an SP that reads only the first text node logs the attacker in as the
victim (CVE-2017-11427 and its siblings). A safe SP reads "victim.evil" (no such account)
or refuses the message; it never maps it to "victim", nor trims " victim " into "victim".
"""

from __future__ import annotations

from functools import partial

from lxml import etree

from mock_idp.scenarios.base import Context, Message, name_id_el, scenario, serialize

_s = partial(scenario, family="injection")
_SUFFIX = ".evil"
_REFUSED = {"user-not-found", "identity-missing", "malformed-xml", "signature-invalid"}


def _signed_for(ctx: Context, value: str) -> tuple[etree._Element, etree._Element]:
    """A genuine Response in which the IdP vouches for the NameID `value` (the attacker's own account there)."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        name_id_el(assertion).text = value

    return ctx.signed("both", edit=edit)


@_s(
    "nameid-comment",
    rule="A comment inside the NameID must not truncate the identity the SP reads.",
    expect=_REFUSED,
)
def comment(ctx: Context) -> Message:
    """The IdP signs "victim.evil"; the attacker inserts a comment to make it "victim<!---->.evil"."""
    victim = ctx.victim_name_id
    resp, assertion = _signed_for(ctx, victim + _SUFFIX)
    el = name_id_el(assertion)
    el.text = victim
    c = etree.Comment("")
    c.tail = _SUFFIX
    el.append(c)
    return ctx.message(resp)


@_s(
    "nameid-comment-prefix",
    rule="A comment inside the NameID must not truncate the identity the SP reads.",
    expect=_REFUSED,
)
def comment_prefix(ctx: Context) -> Message:
    """The IdP signs "evil.victim"; the attacker makes it "evil.<!---->victim" (for SPs that read the last node)."""
    victim = ctx.victim_name_id
    resp, assertion = _signed_for(ctx, "evil." + victim)
    el = name_id_el(assertion)
    el.text = "evil."
    c = etree.Comment("")
    c.tail = victim
    el.append(c)
    return ctx.message(resp)


@_s(
    "nameid-processing-instruction",
    rule="A processing instruction inside the NameID must not split the identity.",
    expect=_REFUSED,
)
def processing_instruction(ctx: Context) -> Message:
    """The IdP signs "victim.evil"; the attacker inserts a processing instruction after "victim"."""
    victim = ctx.victim_name_id
    resp, assertion = _signed_for(ctx, victim + _SUFFIX)
    el = name_id_el(assertion)
    el.text = victim
    pi = etree.ProcessingInstruction("x")
    pi.tail = _SUFFIX
    el.append(pi)
    return ctx.message(resp)


@_s(
    "nameid-cdata",
    rule="A CDATA section inside the NameID is text like any other: the identity is all of it.",
    expect=_REFUSED,
)
def cdata(ctx: Context) -> Message:
    """The IdP signs "victim.evil"; the attacker rewrites it as "<![CDATA[victim]]>.evil" (same canonical form)."""
    victim = ctx.victim_name_id
    resp, assertion = _signed_for(ctx, victim + _SUFFIX)
    marker = "CDATA-MARKER-" + assertion.get("ID")
    name_id_el(assertion).text = marker
    xml = serialize(resp).replace(marker.encode(), b"<![CDATA[" + victim.encode() + b"]]>" + _SUFFIX.encode())
    return ctx.message(xml)


@_s(
    "nameid-whitespace",
    rule="The NameID is compared exactly: surrounding whitespace is not trimmed into another user's name.",
    expect=_REFUSED,
)
def whitespace(ctx: Context) -> Message:
    """The IdP genuinely signs the NameID " victim\\n" (an account of its own there), not "victim"."""
    resp, _ = _signed_for(ctx, " " + ctx.victim_name_id + "\n")
    return ctx.message(resp)


@_s(
    "nameid-nul-suffix",
    rule="An encoded control character must not cut the identity short.",
    expect=_REFUSED | {"malformed-message"},
)
def nul_suffix(ctx: Context) -> Message:
    """The NameID "victim&#0;.evil": a character reference to NUL (not allowed in XML) inside the identity."""
    victim = ctx.victim_name_id
    resp, assertion = _signed_for(ctx, victim + _SUFFIX)
    marker = "NUL-MARKER-" + assertion.get("ID")
    name_id_el(assertion).text = marker
    xml = serialize(resp).replace(marker.encode(), victim.encode() + b"&#0;" + _SUFFIX.encode())
    return ctx.message(xml)


@_s(
    "nameid-unicode-lookalike",
    rule="The NameID is compared exactly: no Unicode normalisation folds a look-alike into another user's name.",
    expect=_REFUSED,
)
def unicode_lookalike(ctx: Context) -> Message:
    """The IdP genuinely signs the victim's name in full-width letters (NFKC-equal to it, not equal)."""
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in ctx.victim_name_id)
    resp, _ = _signed_for(ctx, fullwidth)
    return ctx.message(resp)


SCENARIOS = [comment, comment_prefix, processing_instruction, cdata, whitespace, nul_suffix, unicode_lookalike]
