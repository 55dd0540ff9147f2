"""The SP's HTTP vocabulary: its routes, cookies, headers and form fields.

The vendor profile fixes the login and ACS paths (`SPConfig.login_path` / `acs_path` may move
them for another vendor); the rest are this SP's own pages. Tools that drive or read the SP
(the harness's runner, recorder, checklist) name them from here, never as literals.
"""

from __future__ import annotations

from enum import StrEnum

from samlkit.html import REASON_HEADER


class Route(StrEnum):
    """Every path the SP answers."""

    LOGIN = "/fo/login.php"  # GET ?idm_key=KEY: 302 to the IdP with an AuthnRequest
    ACS = "/IdM/saml2/"  # POST SAMLResponse (+ RelayState): 303 to the app or the picker, or a 4xx
    ROOT = "/"
    HOME = "/home"  # the signed-in page (or the list of unique login URLs)
    WHOAMI = "/whoami"  # JSON: the session's login, subscription, role; 401 without one
    PICK = "/fo/pick"  # the account picker (GET ?t=TOKEN, POST login)
    LOGOUT = "/fo/logout.php"  # 302 to the exit URL (or LOGGED_OUT), first to the IdP's SLO URL when it has one
    SLO = "/IdM/saml2/slo"  # Single Logout: LogoutRequest or LogoutResponse, HTTP-Redirect (GET) or HTTP-POST
    LOGGED_OUT = "/fo/logged-out"
    METADATA = "/metadata"  # ?idm_key=KEY: the SP's metadata for that trust
    USER_API = "/api/2.0/fo/user/"  # HTTP Basic only: action=list|add|edit|deactivate


SESSION_COOKIE = "sp_session"  # the SAML session, set by the ACS or the picker
BROWSER_COOKIE = "sp_browser"  # binds an SP-initiated request to the browser that sent it

BOUNCE_HEADER = "X-SAML-Bounce"  # "same-site": the ACS re-posts a cross-site Response from itself
BOUNCE_FIELD = "SameSiteBounce"  # the form field that marks the SP's own re-post

# Verdict codes of an accepted Response (refusals use `Reason`).
SESSION = "session"
ACCOUNT_PICKER = "account-picker"
LOGGED_OUT = "logged-out"  # Single Logout completed (a LogoutResponse or LogoutRequest accepted)

__all__ = [
    "ACCOUNT_PICKER",
    "BOUNCE_FIELD",
    "BOUNCE_HEADER",
    "BROWSER_COOKIE",
    "LOGGED_OUT",
    "REASON_HEADER",
    "SESSION",
    "SESSION_COOKIE",
    "Route",
]
