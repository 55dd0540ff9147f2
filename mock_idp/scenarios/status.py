"""Status: a Response that reports a failure carries no login, whatever it contains.

Rule: the top-level StatusCode must be Success; an SP must not search the Status for any
Success code, nor read an Assertion from a failed Response (docs/ARCHITECTURE.md, security baseline). All messages are
genuinely signed and still carry a valid Assertion for the attacker's account.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import Context, Message, q, scenario
from samlkit import ns

_s = partial(scenario, family="status")
_EXPECT = {"status-not-success"}


def _with_status(ctx: Context, edit: Callable[[etree._Element], None]) -> Message:
    def apply(resp: etree._Element, _a: etree._Element) -> None:
        edit(resp.find(q("Status", ns.SAMLP)))

    resp, _ = ctx.signed("both", edit=apply)
    return ctx.message(resp)


@_s("status-responder", rule="A Responder (IdP-side) failure is not a login.", expect=_EXPECT)
def responder(ctx: Context) -> Message:
    """Top-level StatusCode Responder, with a valid Assertion still inside."""

    def edit(status: etree._Element) -> None:
        status.find(q("StatusCode", ns.SAMLP)).set("Value", ns.STATUS_RESPONDER)

    return _with_status(ctx, edit)


@_s("status-authn-failed", rule="AuthnFailed means the user did not authenticate.", expect=_EXPECT)
def authn_failed(ctx: Context) -> Message:
    """Requester / AuthnFailed with a StatusMessage, and a valid Assertion still inside."""

    def edit(status: etree._Element) -> None:
        code = status.find(q("StatusCode", ns.SAMLP))
        code.set("Value", ns.STATUS_REQUESTER)
        etree.SubElement(code, q("StatusCode", ns.SAMLP)).set("Value", ns.STATUS_AUTHN_FAILED)
        etree.SubElement(status, q("StatusMessage", ns.SAMLP)).text = "Wrong password"

    return _with_status(ctx, edit)


@_s(
    "status-success-nested",
    rule="Only the top-level StatusCode counts: a nested Success under a failure is still a failure.",
    expect=_EXPECT,
)
def nested_success(ctx: Context) -> Message:
    """Top-level Responder whose nested StatusCode says Success."""

    def edit(status: etree._Element) -> None:
        code = status.find(q("StatusCode", ns.SAMLP))
        code.set("Value", ns.STATUS_RESPONDER)
        etree.SubElement(code, q("StatusCode", ns.SAMLP)).set("Value", ns.STATUS_SUCCESS)

    return _with_status(ctx, edit)


@_s("status-missing", rule="A Response without a Status has not succeeded.", expect=_EXPECT)
def missing(ctx: Context) -> Message:
    """No Status element at all."""

    def apply(resp: etree._Element, _a: etree._Element) -> None:
        resp.remove(resp.find(q("Status", ns.SAMLP)))

    resp, _ = ctx.signed("both", edit=apply)
    return ctx.message(resp)


SCENARIOS = [responder, authn_failed, nested_success, missing]
