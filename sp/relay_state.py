"""RelayState: honoured only as a short path on this SP, never as a way off-site."""

from __future__ import annotations

from urllib.parse import urlsplit

from sp.contract.reasons import Reason, Refusal

# SAML caps RelayState at 80 bytes (bindings §3.4.3, §3.5.3); deep links get more room here, but
# not the 64 kB of a request line: the login URL stores it with each outstanding request.
MAX_RELAY_STATE = 1024


def local_path(relay_state: str | None) -> str | None:
    """RelayState is honoured only as a path on this SP, of at most MAX_RELAY_STATE characters."""
    if not relay_state:
        return None
    if len(relay_state) > MAX_RELAY_STATE:
        raise Refusal(
            Reason.RELAY_STATE_TOO_LONG,
            f"The RelayState is {len(relay_state)} characters long; at most {MAX_RELAY_STATE} are accepted.",
        )
    try:
        parts = urlsplit(relay_state)
    except ValueError:  # "//[evil" or "http://[::1": an unclosed IPv6 host; never a local path
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a path on this SP.") from None
    if parts.scheme or parts.netloc or not relay_state.startswith("/") or relay_state.startswith("//"):
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a path on this SP.")
    if "\\" in relay_state or any(ord(c) < 32 for c in relay_state):
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a plain local path.")
    return relay_state
