"""Timing: an assertion is good only inside its validity window, and it must have one.

Rule: NotBefore <= now < NotOnOrAfter (Conditions and the bearer SubjectConfirmationData),
within a small clock skew; a bearer confirmation without NotOnOrAfter is refused, since it
would stay valid forever (docs/ARCHITECTURE.md, security baseline). All messages are genuinely signed by the IdP.
"""

from __future__ import annotations

import copy
import datetime as dt
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import (
    Context,
    Message,
    conditions,
    instant,
    q,
    scenario,
    subject_confirmation_data,
    utcnow,
)

_s = partial(scenario, family="timing")


def _shifted(ctx: Context, delta: dt.timedelta) -> Message:
    resp, _ = ctx.signed("both", now=utcnow(ctx) + delta)
    return ctx.message(resp)


@_s("expired", rule="An assertion past its NotOnOrAfter is refused.", expect={"expired"})
def expired(ctx: Context) -> Message:
    """Issued a day ago by the IdP (valid for minutes then): a captured, stale Response."""
    return _shifted(ctx, -dt.timedelta(days=1))


@_s(
    "expired-beyond-skew",
    rule="Clock skew is small: ten minutes past NotOnOrAfter is expired.",
    expect={"expired"},
)
def expired_beyond_skew(ctx: Context) -> Message:
    """Every NotOnOrAfter ten minutes in the past."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        past = instant(utcnow(ctx) - dt.timedelta(minutes=10))
        conditions(assertion).set("NotOnOrAfter", past)
        subject_confirmation_data(assertion).set("NotOnOrAfter", past)
        conditions(assertion).set("NotBefore", instant(utcnow(ctx) - dt.timedelta(minutes=20)))

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s("not-yet-valid", rule="An assertion before its NotBefore is refused.", expect={"not-yet-valid"})
def not_yet_valid(ctx: Context) -> Message:
    """Issued by an IdP whose clock runs an hour ahead: NotBefore is in the future."""
    return _shifted(ctx, dt.timedelta(hours=1))


@_s(
    "expired-subject-confirmation",
    rule="The bearer SubjectConfirmationData's NotOnOrAfter is enforced, not only the Conditions'.",
    expect={"expired"},
)
def expired_confirmation(ctx: Context) -> Message:
    """Conditions still valid, but the bearer confirmation's NotOnOrAfter passed five minutes ago."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        subject_confirmation_data(assertion).set("NotOnOrAfter", instant(utcnow(ctx) - dt.timedelta(minutes=5)))

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "missing-not-on-or-after",
    rule="A bearer assertion without any NotOnOrAfter would be valid forever: it is refused.",
    expect={"time-missing"},
)
def missing_not_on_or_after(ctx: Context) -> Message:
    """Neither Conditions nor the bearer SubjectConfirmationData carries NotOnOrAfter."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        del conditions(assertion).attrib["NotOnOrAfter"]
        del subject_confirmation_data(assertion).attrib["NotOnOrAfter"]

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "missing-confirmation-not-on-or-after",
    rule="The bearer SubjectConfirmationData must carry NotOnOrAfter (SAML 2.0 Web SSO profile).",
    expect={"time-missing"},
)
def missing_confirmation_not_on_or_after(ctx: Context) -> Message:
    """Conditions NotOnOrAfter kept; the bearer SubjectConfirmationData has none."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        del subject_confirmation_data(assertion).attrib["NotOnOrAfter"]

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "malformed-time",
    rule="A validity time that is not a valid xs:dateTime is not 'no limit'.",
    expect={"time-missing", "malformed-message", "expired"},
)
def malformed_time(ctx: Context) -> Message:
    """Every NotOnOrAfter set to "9999-99-99T99:99:99Z"."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        conditions(assertion).set("NotOnOrAfter", "9999-99-99T99:99:99Z")
        subject_confirmation_data(assertion).set("NotOnOrAfter", "9999-99-99T99:99:99Z")

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "session-not-on-or-after-expired",
    rule="An AuthnStatement whose SessionNotOnOrAfter has passed opens no session.",
    expect={"expired"},
)
def session_expired(ctx: Context) -> Message:
    """The AuthnStatement's SessionNotOnOrAfter passed five minutes ago (the assertion itself is fresh)."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        statement = assertion.find(q("AuthnStatement"))
        statement.set("SessionNotOnOrAfter", instant(utcnow(ctx) - dt.timedelta(minutes=5)))

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "second-authn-statement-session-expired",
    rule="Every AuthnStatement counts: a second one whose SessionNotOnOrAfter has passed opens no session.",
    expect={"expired"},
)
def second_statement_expired(ctx: Context) -> Message:
    """A fresh AuthnStatement followed by a second one whose SessionNotOnOrAfter passed five minutes ago."""

    def edit(_resp: etree._Element, assertion: etree._Element) -> None:
        statement = assertion.find(q("AuthnStatement"))
        ended = copy.deepcopy(statement)
        ended.set("SessionNotOnOrAfter", instant(utcnow(ctx) - dt.timedelta(minutes=5)))
        statement.addnext(ended)

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


@_s(
    "issue-instant-malformed",
    rule="IssueInstant is a required xs:dateTime on the Response and the Assertion.",
    expect={"time-missing"},
)
def issue_instant_malformed(ctx: Context) -> Message:
    """The IdP signs an Assertion whose IssueInstant is "yesterday" (and the Response has none)."""

    def edit(resp: etree._Element, assertion: etree._Element) -> None:
        assertion.set("IssueInstant", "yesterday")
        del resp.attrib["IssueInstant"]

    resp, _ = ctx.signed("both", edit=edit)
    return ctx.message(resp)


SCENARIOS = [
    expired,
    expired_beyond_skew,
    not_yet_valid,
    expired_confirmation,
    missing_not_on_or_after,
    missing_confirmation_not_on_or_after,
    malformed_time,
    session_expired,
    second_statement_expired,
    issue_instant_malformed,
]
