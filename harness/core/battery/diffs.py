"""The legitimate message to compare a bad one with, and the diff of a row."""

from __future__ import annotations

from lxml import etree

from harness.core.battery.verdicts import ERROR, SKIPPED, Result
from harness.core.message_diff import MessageDiff, diff_messages, parse_leniently
from mock_idp.scenarios.base import Context, serialize
from samlkit import ns


def legitimate_counterpart(ctx: Context, bad_xml: bytes | None) -> bytes:
    """The legitimate Response of `ctx`, carrying the IDs the bad message uses, signed as the IdP signs it.

    Built from the same context as the bad message (the same instant, the same request answered)
    and with its Response ID, Assertion ID and SessionIndex (a transient NameID too), so that a
    diff against the bad message shows what the attacker changed, not the fresh random IDs and the
    signature values that follow from them. Where the bad message holds several Responses or
    Assertions (wrapping), the ones its signatures reference are taken.
    """
    resp, assertion = ctx.build()
    try:
        bad = parse_leniently(bad_xml) if bad_xml else None
    except etree.XMLSyntaxError:
        bad = None
    if bad is not None:
        referenced = {
            uri[1:] for ref in bad.iter(ns.q(ns.DS, "Reference")) if (uri := ref.get("URI") or "").startswith("#")
        }

        def pick(tag: str) -> etree._Element | None:
            found = [el for el in bad.iter(tag) if el.get("ID")]
            return next((el for el in found if el.get("ID") in referenced), found[0] if found else None)

        theirs = pick(ns.q(ns.SAMLP, "Response"))
        if theirs is not None:
            resp.set("ID", theirs.get("ID"))
        theirs = pick(ns.q(ns.SAML, "Assertion"))
        if theirs is not None:
            assertion.set("ID", theirs.get("ID"))
            statement = ns.q(ns.SAML, "AuthnStatement")
            mine, their_stmt = assertion.find(statement), theirs.find(statement)
            if mine is not None and their_stmt is not None and their_stmt.get("SessionIndex"):
                mine.set("SessionIndex", their_stmt.get("SessionIndex"))
            name_id = f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}"
            my_name, their_name = assertion.find(name_id), theirs.find(name_id)
            if ctx.sp.nameid_format == "transient" and my_name is not None and their_name is not None:
                my_name.text = their_name.text  # random either way
    ctx.sign(resp, assertion, "both")
    return serialize(resp)


def result_diff(result: Result, legitimate_xml: str | None = None, *, context: int = 3) -> MessageDiff | None:
    """The diff of the row's bad message against its legitimate counterpart (else `legitimate_xml`,
    the report's); None when the row has no XML message (see `no_diff_reason`)."""
    legit = result.legitimate_xml or legitimate_xml
    if result.xml is None or legit is None:
        return None
    return diff_messages(legit, result.xml, context=context, names=("legitimate", result.scenario))


def no_diff_reason(result: Result) -> str:
    if result.verdict == SKIPPED:
        return f"The scenario was skipped ({result.note or 'not run'}), so there is no message to compare."
    if result.verdict == ERROR:
        return f"The scenario could not be built ({result.note}), so there is no message to compare."
    if result.xml is None:
        return (
            "This scenario sends no XML to compare: its SAMLResponse field is missing, empty, not base64 or not "
            "XML, or the message is over 256 KB (the scenario's description says what it sends)."
        )
    return "The legitimate message is not known, so there is nothing to compare with."
