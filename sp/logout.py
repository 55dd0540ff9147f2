"""Logout that another site cannot trigger.

`GET /fo/logout.php` used to end the session whatever page sent the browser there, so any site
could log the tester out (a link, a redirect, a form). Now a GET logs out at once only when the
browser says it came from the SP's own page or from the tester (`Sec-Fetch-Site: same-origin`
or `none`: a click on the app's "Log out" link, a typed URL or bookmark); from anywhere else, or
from a client that does not say, it shows a confirmation form. The form POSTs a token derived from
the session cookie (which no other site can read); a POST without it is refused `csrf`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

from werkzeug.wrappers import Request, Response

from samlkit import csp
from samlkit.logout_csrf import TOKEN_FIELD, confirmation_token, from_own_site
from samlkit.logout_csrf import confirm_page as _confirm_page
from sp.contract.http import SESSION_COOKIE, Route
from sp.contract.reasons import Reason, Refusal
from sp.model import SPConfig, Subscription
from sp.store import SPStore


def logout_token(session_token: str) -> str:
    """The confirmation token for one SP session (`samlkit.logout_csrf`)."""
    return confirmation_token(session_token, b"saml-harness logout")


class SessionHost(Protocol):
    """What logout needs of the SP: its sessions and its configuration."""

    @property
    def config(self) -> SPConfig: ...

    @property
    def store(self) -> SPStore: ...


# After the SP session ended: Single Logout's LogoutRequest to the IdP, or None to go to the exit URL.
SingleLogout = Callable[[dict | None, Subscription | None], Response | None]


def handle(app: SessionHost, request: Request, single_logout: SingleLogout | None = None) -> Response:
    """GET or POST /fo/logout.php (see the module doc)."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    session = app.store.get_session(token) if token else None
    if request.method == "POST":
        given = request.form.get(TOKEN_FIELD, "")
        if session is not None and not hmac.compare_digest(given, logout_token(token)):
            raise Refusal(Reason.CSRF, "This logout did not come from the SP's own page; the session stays open.")
    elif session is not None and not from_own_site(request.headers):
        html = confirm_page(logout_token(token), session.get("subscription_name", ""))
        policy = confirm_policy(app.config.subscription(session["subscription"]))
        headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", csp.HEADER: policy.header}
        return Response(html, mimetype="text/html", headers=headers)
    if token:
        app.store.end_session(token)
    sub = app.config.subscription(session["subscription"]) if session else None
    target = sub.exit_url if sub and sub.exit_url else Route.LOGGED_OUT
    resp = (single_logout(session, sub) if single_logout else None) or Response(
        status=302, headers={"Location": target, "Cache-Control": "no-store"}
    )
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def confirm_policy(sub: Subscription | None) -> csp.Policy:
    """The confirmation form posts to the SP only; browsers also hold the redirect that follows the
    POST to form-action (Chromium does), so the subscription's exit URL and its IdP's SLO URL (the
    LogoutRequest by HTTP-Redirect) are named too: both set by the SP's own configuration."""
    places = [u for u in ((sub.exit_url, sub.idp_slo_url) if sub else ()) if u]
    return csp.Policy(form_action=(csp.SELF, *csp.origins(places)))


def confirm_page(token: str, subscription: str) -> str:
    return _confirm_page(Route.LOGOUT, token, f"Log out of {subscription or 'the SP'}?", "Vendor SP")
