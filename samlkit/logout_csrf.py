"""Logout that another site cannot trigger, for both servers' "log out" URLs.

A GET logs out at once only when the browser says it came from the server's own page or from the
person (`Sec-Fetch-Site: same-origin` or `none`: a click on the page's own link, a typed URL, a
bookmark); from anywhere else, or from a client that does not say, the server shows a confirmation
form that POSTs a token derived from the session cookie (which no other site can read).
"""

from __future__ import annotations

import hashlib
from typing import Any

from samlkit.html import esc, page

OWN_SITE = ("same-origin", "none")
TOKEN_FIELD = "csrf"


def from_own_site(headers: Any) -> bool:
    """True when the browser says the request came from this site's own page or from the person."""
    return headers.get("Sec-Fetch-Site") in OWN_SITE


def confirmation_token(session_token: str, purpose: bytes) -> str:
    """The confirmation token for one session: only a holder of its cookie can compute it."""
    return hashlib.sha256(purpose + b"\x00" + session_token.encode()).hexdigest()[:32]


def confirm_page(action: str, token: str, question: str, actor: str) -> str:
    body = (
        f"<p>{esc(question)}</p>"
        f'<form method="post" action="{esc(action)}"><input type="hidden" name="{TOKEN_FIELD}" '
        f'value="{esc(token)}"><button type="submit" id="confirm-logout">Log out</button></form>'
    )
    return page("Log out", body, actor=actor)
