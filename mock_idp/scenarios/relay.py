"""RelayState: where the SP sends the browser after login.

Rule: RelayState is honoured only as a path on this SP; an absolute, protocol-relative,
backslashed or scripted target is refused (or ignored), never followed: an open redirect
after login hands the fresh session's user to a phishing page (docs/ARCHITECTURE.md, security baseline). The SAML
message itself is legitimate.
"""

from __future__ import annotations

from functools import partial

from mock_idp.scenarios.base import HARM_OFFSITE_REDIRECT, Context, Message, scenario

_s = partial(scenario, family="relay", expect={"relay-state-offsite"}, harm=HARM_OFFSITE_REDIRECT)
EVIL = "evil.example"


def _relay(ctx: Context, target: str) -> Message:
    resp, _ = ctx.signed("both")
    return ctx.message(resp, relay_state=target)


@_s("relay-absolute-url", rule="RelayState is a local path, never an absolute URL.")
def absolute(ctx: Context) -> Message:
    """A legitimate login whose RelayState is https://evil.example/phish."""
    return _relay(ctx, f"https://{EVIL}/phish")


@_s("relay-protocol-relative", rule="RelayState '//host/…' is another site, not a path.")
def protocol_relative(ctx: Context) -> Message:
    """A legitimate login whose RelayState is //evil.example/phish."""
    return _relay(ctx, f"//{EVIL}/phish")


@_s("relay-backslash", rule="Browsers read '/\\host' as '//host': not a path either.")
def backslash(ctx: Context) -> Message:
    """A legitimate login whose RelayState is /\\evil.example/phish."""
    return _relay(ctx, f"/\\{EVIL}/phish")


@_s("relay-javascript", rule="RelayState never carries a script URL.")
def javascript(ctx: Context) -> Message:
    """A legitimate login whose RelayState is javascript:alert(document.domain)."""
    return _relay(ctx, "javascript:alert(document.domain)")


@_s("relay-control-characters", rule="A tab or newline in the RelayState must not smuggle another host in.")
def control(ctx: Context) -> Message:
    """A legitimate login whose RelayState is "/\\t/evil.example/phish" (browsers drop the tab)."""
    return _relay(ctx, f"/\t/{EVIL}/phish")


@_s("relay-unparsable-host", rule="A RelayState that is not even a well-formed URL is refused, not a crash.")
def unparsable(ctx: Context) -> Message:
    """A legitimate login whose RelayState is //[evil.example/phish (an unclosed IPv6 host)."""
    return _relay(ctx, f"//[{EVIL}/phish")


SCENARIOS = [absolute, protocol_relative, backslash, javascript, control, unparsable]
