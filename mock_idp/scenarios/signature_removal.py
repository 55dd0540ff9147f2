"""Signature removal: the attacker strips signatures so that nothing (or a broken remnant) vouches.

Rule: a safe SP requires a signed Assertion that verifies with the trusted certificate, and
verifies the Response signature whenever one is present (docs/ARCHITECTURE.md, security baseline).
"""

from __future__ import annotations

from functools import partial

from mock_idp.scenarios.base import (
    SIGNATURE_FAILURES,
    Context,
    Message,
    scenario,
    set_name_id,
    signature_of,
    strip_signature,
)
from samlkit import ns

_s = partial(scenario, family="signature-removal")


@_s(
    "signature-removed-all",
    rule="A Response with no signature at all must not be trusted.",
    expect={"signature-missing"},
)
def removed_all(ctx: Context) -> Message:
    """Both signatures stripped, and the NameID changed to the victim."""
    resp, assertion = ctx.signed("both")
    strip_signature(resp)
    strip_signature(assertion)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "signature-removed-assertion",
    rule="The Assertion must carry its own valid signature; the Response signature left behind no longer verifies.",
    expect=SIGNATURE_FAILURES,
)
def removed_assertion(ctx: Context) -> Message:
    """The Assertion's signature stripped (the Response's kept, now broken), NameID changed to the victim."""
    resp, assertion = ctx.signed("both")
    strip_signature(assertion)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "signature-removed-response",
    rule="A Response signed only at the Response level loses all protection once that signature is stripped.",
    expect={"signature-missing"},
)
def removed_response(ctx: Context) -> Message:
    """The IdP signed only the Response; the attacker strips it and names the victim."""
    resp, assertion = ctx.signed("response")
    strip_signature(resp)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "signature-value-emptied",
    rule="A Signature element is not a signature: its value must verify.",
    expect=SIGNATURE_FAILURES,
)
def value_emptied(ctx: Context) -> Message:
    """Both Signature elements kept but their SignatureValue emptied, NameID changed to the victim."""
    resp, assertion = ctx.signed("both")
    for el in (resp, assertion):
        signature_of(el).findall(ns.q(ns.DS, "SignatureValue"))[0].text = ""
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "signature-without-signed-info",
    rule="A Signature without SignedInfo covers nothing.",
    expect=SIGNATURE_FAILURES,
)
def without_signed_info(ctx: Context) -> Message:
    """SignedInfo removed from both signatures (SignatureValue kept), NameID changed to the victim."""
    resp, assertion = ctx.signed("both")
    for el in (resp, assertion):
        sig = signature_of(el)
        sig.remove(sig.findall(ns.q(ns.DS, "SignedInfo"))[0])
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


SCENARIOS = [removed_all, removed_assertion, removed_response, value_emptied, without_signed_info]
