"""The same-site bounce: a real IdP on another site posts the Response cross-site, and the browser
keeps the SP's SameSite=Lax cookies out of that POST, so the Response could not be bound to the
browser that sent the request (on http the cookie cannot be SameSite=None). Posting the same
fields again from a page of the SP itself makes it a same-site POST that carries the cookie.
Nothing is trusted here: the bounced POST is validated like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from samlkit import codec, csp
from samlkit.html import AUTO_POST_SCRIPT, auto_post_form
from samlkit.safexml import UnsafeXML, parse
from sp.contract.http import BOUNCE_FIELD

# The page posts to the SP's own ACS, which answers with a page or a redirect to a path of its own
# (`sp.relay_state`): its form may post to the SP only.
SAME_SITE_POLICY = csp.Policy(scripts=(AUTO_POST_SCRIPT,), form_action=(csp.SELF,))


def answers_a_waiting_request(value: str, max_body: int, peek_request: Callable[[str], dict | None]) -> bool:
    """Does this posted Response name (in InResponseTo) a request the SP is still waiting on?"""
    try:
        root = parse(codec.decode_post(value, max_body), max_body)
    except (codec.DecodeError, UnsafeXML):
        return False  # the normal path refuses it with its precise reason
    ids = [root.get("InResponseTo"), *root.xpath(".//@InResponseTo")[:4]]
    return any(peek_request(i) for i in ids if i)


def same_site_form(acs_path: str, value: str, relay_state: str | None) -> str:
    """The SP's own page that posts the same fields to the ACS again, marked as the bounce."""
    fields = {"SAMLResponse": value, BOUNCE_FIELD: "1"}
    if relay_state is not None:
        fields["RelayState"] = relay_state
    return auto_post_form(acs_path, fields, actor="Vendor SP")
