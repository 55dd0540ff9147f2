"""Addressing: the Response is for this SP, at this ACS, from this IdP.

Rule: the Audience names this SP's EntityID (in every AudienceRestriction), the bearer
Recipient and the Response Destination are exactly this ACS URL, and both Issuers are the
subscription's IdP EntityID (docs/ARCHITECTURE.md, security baseline). All messages are genuinely signed by the trusted
IdP key: they are what an attacker gets by logging in to another SP of the same IdP.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import (
    HARM_IMPERSONATION,
    Context,
    Message,
    conditions,
    q,
    scenario,
    subject_confirmation_data,
)

_s = partial(scenario, family="addressing")
OTHER_SP = "https://other-sp.example/saml/metadata"
OTHER_ACS = "https://other-sp.example/saml/acs"
OTHER_IDP = "https://evil-idp.example/saml"


def _signed(ctx: Context, edit: Callable[[etree._Element, etree._Element], None]) -> Message:
    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


def _audiences(assertion: etree._Element) -> list[etree._Element]:
    return list(conditions(assertion).iter(q("Audience")))


@_s("wrong-audience", rule="The Audience must be this SP's EntityID.", expect={"audience-mismatch"})
def wrong_audience(ctx: Context) -> Message:
    """An assertion the IdP issued for another SP (Audience is the other SP's EntityID)."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        for el in _audiences(a):
            el.text = OTHER_SP

    return _signed(ctx, edit)


@_s(
    "missing-audience",
    rule="An assertion without AudienceRestriction is for anyone: refused.",
    expect={"audience-mismatch"},
)
def missing_audience(ctx: Context) -> Message:
    """No AudienceRestriction at all."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        cond = conditions(a)
        for ar in cond.findall(q("AudienceRestriction")):
            cond.remove(ar)

    return _signed(ctx, edit)


@_s(
    "extra-audience-restriction",
    rule="Every AudienceRestriction must name this SP (they are ANDed, not ORed).",
    expect={"audience-mismatch"},
)
def extra_restriction(ctx: Context) -> Message:
    """A second AudienceRestriction naming only another SP, next to the right one."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        cond = conditions(a)
        ar = etree.SubElement(cond, q("AudienceRestriction"))
        etree.SubElement(ar, q("Audience")).text = OTHER_SP

    return _signed(ctx, edit)


@_s("audience-prefix", rule="The Audience is compared exactly, not as a prefix.", expect={"audience-mismatch"})
def audience_prefix(ctx: Context) -> Message:
    """The Audience is this SP's EntityID with a suffix ("…-evil")."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        for el in _audiences(a):
            el.text = ctx.sp.entity_id + "-evil"

    return _signed(ctx, edit)


@_s("wrong-recipient", rule="The bearer Recipient must be this ACS URL.", expect={"recipient-mismatch"})
def wrong_recipient(ctx: Context) -> Message:
    """The bearer SubjectConfirmationData names another SP's ACS as Recipient."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        subject_confirmation_data(a).set("Recipient", OTHER_ACS)

    return _signed(ctx, edit)


@_s("recipient-prefix", rule="The Recipient is compared exactly, not as a prefix.", expect={"recipient-mismatch"})
def recipient_prefix(ctx: Context) -> Message:
    """The Recipient is this ACS URL followed by "evil"."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        subject_confirmation_data(a).set("Recipient", ctx.sp.acs_url + "evil")

    return _signed(ctx, edit)


@_s("missing-recipient", rule="The bearer confirmation must name its Recipient.", expect={"recipient-mismatch"})
def missing_recipient(ctx: Context) -> Message:
    """The bearer SubjectConfirmationData has no Recipient attribute."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        del subject_confirmation_data(a).attrib["Recipient"]

    return _signed(ctx, edit)


@_s("wrong-destination", rule="The Response Destination must be this ACS URL.", expect={"destination-mismatch"})
def wrong_destination(ctx: Context) -> Message:
    """The signed Response is addressed to another SP's ACS."""

    def edit(r: etree._Element, _a: etree._Element) -> None:
        r.set("Destination", OTHER_ACS)

    return _signed(ctx, edit)


@_s(
    "missing-destination",
    rule="A signed Response must carry its Destination (SAML 2.0 bindings, 3.5.5.2).",
    expect={"destination-mismatch"},
)
def missing_destination(ctx: Context) -> Message:
    """The signed Response has no Destination attribute."""

    def edit(r: etree._Element, _a: etree._Element) -> None:
        del r.attrib["Destination"]

    return _signed(ctx, edit)


@_s(
    "wrong-issuer",
    rule="Both Issuers must be the subscription's IdP EntityID.",
    expect={"issuer-mismatch", "signature-invalid"},
)
def wrong_issuer(ctx: Context) -> Message:
    """Response and Assertion claim another IdP's EntityID (signed with the trusted key)."""

    def edit(r: etree._Element, a: etree._Element) -> None:
        r.find(q("Issuer")).text = OTHER_IDP
        a.find(q("Issuer")).text = OTHER_IDP

    return _signed(ctx, edit)


@_s(
    "wrong-assertion-issuer",
    rule="The Assertion's Issuer must be the subscription's IdP EntityID, like the Response's.",
    expect={"issuer-mismatch"},
)
def wrong_assertion_issuer(ctx: Context) -> Message:
    """The Response Issuer is right; the Assertion claims another IdP's EntityID."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        a.find(q("Issuer")).text = OTHER_IDP

    return _signed(ctx, edit)


@_s(
    "missing-assertion-issuer",
    rule="An Assertion must name its Issuer.",
    expect={"issuer-mismatch"},
)
def missing_assertion_issuer(ctx: Context) -> Message:
    """The Assertion has no Issuer element (the Response keeps its own)."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        a.remove(a.find(q("Issuer")))

    return _signed(ctx, edit)


@_s(
    "nameid-qualified-for-other-sp",
    rule="A NameID whose SPNameQualifier names another SP is that SP's identifier, not this one's.",
    expect={"audience-mismatch"},
)
def spnamequalifier(ctx: Context) -> Message:
    """The NameID's SPNameQualifier is another SP's EntityID (Audience still right)."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        a.find(f"{q('Subject')}/{q('NameID')}").set("SPNameQualifier", OTHER_SP)

    return _signed(ctx, edit)


@_s(
    "second-conditions-other-audience",
    rule="Every Conditions must hold: a second one restricting the Audience to another SP is not ignored.",
    expect={"audience-mismatch"},
)
def second_conditions(ctx: Context) -> Message:
    """A second Conditions element whose only Audience is another SP, after the right one."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        cond = conditions(a)
        other = etree.Element(q("Conditions"), cond.attrib)
        etree.SubElement(etree.SubElement(other, q("AudienceRestriction")), q("Audience")).text = OTHER_SP
        cond.addnext(other)

    return _signed(ctx, edit)


@_s(
    "two-nameids",
    rule="A Subject names one principal: with two NameIDs the SP must not pick the one to log in.",
    expect={"identity-ambiguous", "malformed-xml"},
    harm=HARM_IMPERSONATION,
)
def two_nameids(ctx: Context) -> Message:
    """The IdP signs a Subject with two NameIDs: the victim's first, then the attacker's own."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        name_id = a.find(f"{q('Subject')}/{q('NameID')}")
        victim = etree.Element(q("NameID"), name_id.attrib)
        victim.text = ctx.victim_name_id
        name_id.addprevious(victim)

    return _signed(ctx, edit)


SCENARIOS = [
    wrong_audience,
    missing_audience,
    extra_restriction,
    audience_prefix,
    wrong_recipient,
    recipient_prefix,
    missing_recipient,
    wrong_destination,
    missing_destination,
    wrong_issuer,
    wrong_assertion_issuer,
    missing_assertion_issuer,
    spnamequalifier,
    second_conditions,
    two_nameids,
]
