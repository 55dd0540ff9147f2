"""Binding a Response to its request and its browser: InResponseTo, unsolicited logins, replay, bearer.

Rule: an SP-initiated Response answers an outstanding AuthnRequest sent by the same browser
session, and that request is deleted once answered; an unsolicited Response is accepted only
where the subscription allows IdP-initiated login; each Assertion ID is accepted once; the
subject is confirmed by the bearer method (docs/ARCHITECTURE.md, security baseline). All messages are genuinely signed.
"""

from __future__ import annotations

from functools import partial

from lxml import etree

from mock_idp.response import new_id
from mock_idp.scenarios.base import (
    NEEDS_FRESH_BROWSER,
    NEEDS_NO_REQUEST,
    NEEDS_PRIOR_LOGIN,
    NEEDS_REQUEST,
    NEEDS_UNSOLICITED_OFF,
    Context,
    Message,
    instant,
    q,
    scenario,
    strip_signature,
    subject_confirmation_data,
    utcnow,
)

_s = partial(scenario, family="binding")
CM_HOLDER_OF_KEY = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
CM_SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"


@_s(
    "wrong-in-response-to",
    rule="InResponseTo must name an AuthnRequest this SP sent and has not seen answered.",
    expect={"in-response-to-unknown"},
)
def wrong_in_response_to(ctx: Context) -> Message:
    """A Response answering a request ID this SP never issued."""
    resp, _ = ctx.signed("both", in_response_to=new_id())
    return ctx.message(resp)


@_s(
    "in-response-to-mismatch",
    rule="The Response's and the bearer confirmation's InResponseTo must agree.",
    expect={"in-response-to-mismatch", "in-response-to-unknown"},
)
def mismatch(ctx: Context) -> Message:
    """The Response answers the browser's request, but its bearer confirmation answers another."""
    irt = ctx.in_response_to or new_id()

    def edit(resp: etree._Element, assertion: etree._Element) -> None:
        resp.set("InResponseTo", irt)
        subject_confirmation_data(assertion).set("InResponseTo", new_id())

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "missing-in-response-to",
    rule="Where IdP-initiated login is off, a Response without InResponseTo is refused, even after a request.",
    expect={"unsolicited-not-allowed", "in-response-to-unknown"},
    needs={NEEDS_REQUEST, NEEDS_UNSOLICITED_OFF},
)
def missing(ctx: Context) -> Message:
    """The browser sent a request, but the Response (and its confirmation) carry no InResponseTo."""
    resp, _ = ctx.signed("both", in_response_to=None)
    return ctx.message(resp)


@_s(
    "in-response-to-other-session",
    rule="A Response must come back through the browser session that sent the request (no login CSRF).",
    expect={"in-response-to-other-session", "in-response-to-unknown"},
    needs={NEEDS_REQUEST, NEEDS_FRESH_BROWSER},
)
def other_session(ctx: Context) -> Message:
    """A genuine answer to a request sent by one browser, posted from another browser."""
    return ctx.legitimate()


@_s(
    "in-response-to-reused",
    rule="An answered AuthnRequest is deleted: a second Response to it is refused.",
    expect={"in-response-to-unknown", "replayed"},
    needs={NEEDS_REQUEST, NEEDS_PRIOR_LOGIN},
)
def reused(ctx: Context) -> Message:
    """After a successful login, a second, freshly signed Response to the same request."""
    return ctx.legitimate()


@_s(
    "unsolicited-not-allowed",
    rule="An unsolicited (IdP-initiated) Response is refused where the subscription does not allow it.",
    expect={"unsolicited-not-allowed", "in-response-to-unknown"},
    needs={NEEDS_NO_REQUEST, NEEDS_UNSOLICITED_OFF},
)
def unsolicited(ctx: Context) -> Message:
    """A genuine IdP-initiated Response to an SP that takes SP-initiated logins only."""
    resp, _ = ctx.signed("both", in_response_to=None)
    return ctx.message(resp)


@_s(
    "replay",
    rule="Each Assertion is accepted once: a captured Response replayed from another browser is refused.",
    expect={"replayed", "in-response-to-unknown", "in-response-to-other-session"},
    needs={NEEDS_PRIOR_LOGIN, NEEDS_FRESH_BROWSER},
)
def replay(ctx: Context) -> Message:
    """The very Response of a successful login, posted again from another browser."""
    assert ctx.previous is not None
    return ctx.previous


@_s(
    "replay-same-browser",
    rule="Each Assertion is accepted once, even from the browser that first posted it.",
    expect={"replayed", "in-response-to-unknown"},
    needs={NEEDS_PRIOR_LOGIN},
)
def replay_same_browser(ctx: Context) -> Message:
    """The very Response of a successful login, posted again from the same browser (its session gone)."""
    assert ctx.previous is not None
    return ctx.previous


@_s(
    "replay-rewrapped",
    rule="Replay protection keys on the Assertion, not the Response: a used Assertion in a new Response is refused.",
    expect={"replayed", "in-response-to-unknown", "in-response-to-other-session"},
    needs={NEEDS_PRIOR_LOGIN, NEEDS_FRESH_BROWSER},
)
def replay_rewrapped(ctx: Context) -> Message:
    """The signed Assertion of a successful login, re-wrapped in a fresh unsigned Response (new ID)."""
    assert ctx.previous is not None and ctx.previous.xml is not None
    resp = etree.fromstring(ctx.previous.xml, etree.XMLParser(resolve_entities=False, no_network=True))
    strip_signature(resp)
    resp.set("ID", new_id())
    resp.set("IssueInstant", instant(utcnow(ctx)))
    return ctx.message(resp)


@_s(
    "in-response-to-added-to-unsolicited",
    rule="A solicited Response carries the request's ID inside the signed Assertion (bearer InResponseTo), "
    "not only on the unsigned Response.",
    expect={"in-response-to-mismatch", "unsolicited-not-allowed"},
    needs={NEEDS_REQUEST, NEEDS_UNSOLICITED_OFF},
)
def irt_added(ctx: Context) -> Message:
    """An unsolicited Assertion (signed, no InResponseTo) in an unsigned Response that claims to answer the request."""
    resp, assertion = ctx.build(in_response_to=None)
    ctx.sign(resp, assertion, "assertion")
    resp.set("InResponseTo", ctx.in_response_to or new_id())
    return ctx.message(resp)


@_s(
    "bearer-method-changed",
    rule="Web SSO confirms the subject with the bearer method; holder-of-key unproven is not bearer.",
    expect={"bearer-missing"},
)
def holder_of_key(ctx: Context) -> Message:
    """The IdP signed a holder-of-key SubjectConfirmation (no key proof follows) instead of bearer."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        a.find(f"{q('Subject')}/{q('SubjectConfirmation')}").set("Method", CM_HOLDER_OF_KEY)

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "bearer-sender-vouches",
    rule="Web SSO confirms the subject with the bearer method, not sender-vouches.",
    expect={"bearer-missing"},
)
def sender_vouches(ctx: Context) -> Message:
    """The IdP signed a sender-vouches SubjectConfirmation instead of bearer."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        a.find(f"{q('Subject')}/{q('SubjectConfirmation')}").set("Method", CM_SENDER_VOUCHES)

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "subject-confirmation-missing",
    rule="An Assertion without a SubjectConfirmation confirms nobody.",
    expect={"bearer-missing", "subject-missing"},
)
def confirmation_missing(ctx: Context) -> Message:
    """The IdP signed an Assertion whose Subject has only a NameID."""

    def edit(_r: etree._Element, a: etree._Element) -> None:
        subject = a.find(q("Subject"))
        subject.remove(subject.find(q("SubjectConfirmation")))

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


SCENARIOS = [
    wrong_in_response_to,
    mismatch,
    missing,
    other_session,
    reused,
    unsolicited,
    replay,
    replay_same_browser,
    replay_rewrapped,
    irt_added,
    holder_of_key,
    sender_vouches,
    confirmation_missing,
]
