"""Find the SAML messages an exchange carried: what the browser sent, and what it was answered."""

from __future__ import annotations

from urllib.parse import urlencode

from harness.core.capture.exchange import Exchange
from harness.core.inspect_message import TrustedCert, inspect
from harness.core.safe_url import urlsplit
from harness.core.trace import Message

_PARAMS = ("samlrequest", "samlresponse")


def _carries(text: str) -> bool:
    lowered = text.lower()
    return any(p in lowered for p in _PARAMS)


def received(ex: Exchange, trusted_cert: TrustedCert) -> Message | None:
    """The message the browser carried to the server: in the query string or the form body."""
    query = urlsplit(ex.url).query
    if query and _carries(query):
        return _named(_first(inspect(ex.url, trusted_cert)), query)
    if any(name.lower() in _PARAMS for name, _ in ex.form):
        return _named(_first(inspect(urlencode(ex.form), trusted_cert)), "&".join(n for n, _ in ex.form))
    return None


def sent(ex: Exchange, trusted_cert: TrustedCert) -> Message | None:
    """The message the server answered with: a redirect's Location, or a page whose form posts it."""
    location = ex.location
    if location and _carries(urlsplit(location).query):
        return _first(inspect(location, trusted_cert))
    if ex.response_text and _carries(ex.response_text):
        return _first(inspect(ex.response_text, trusted_cert))
    return None


def _named(msg: Message, carrier: str) -> Message:
    """A message that could not be decoded still says which parameter carried it."""
    if not msg.param:
        lowered = carrier.lower()
        msg.param = "SAMLResponse" if "samlresponse" in lowered else "SAMLRequest"
    return msg


def _first(messages: list[Message]) -> Message:
    return next((m for m in messages if not m.error), messages[0])
