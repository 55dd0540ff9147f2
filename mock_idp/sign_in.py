"""Signing in at the mock IdP: the password form, the TOTP second factor, and their CSRF check.

Both forms post a pending sign-in's token and a CSRF value that must equal the IdP's SameSite
cookie, so another site cannot submit them; a user with a TOTP secret passes the second factor
before the IdP answers the SP.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

import pyotp
from werkzeug.wrappers import Request, Response

from mock_idp.contract import CSRF_COOKIE, IdPRoute
from samlkit.html import esc, page

if TYPE_CHECKING:
    from mock_idp.app import IdPApp


def login_form(
    app: IdPApp, token: str, request: Request, *, username: str = "", error: str = "", status: int = 200
) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(18)
    err = f'<div class="refusal" role="alert"><p>{esc(error)}</p></div>' if error else ""
    body = (
        f"{err}<p>Sign in with your corporate account.</p>"
        f'<form method="post" action="{IdPRoute.LOGIN}"><input type="hidden" name="t" value="{esc(token)}">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<label for="username">Username</label><input type="text" id="username" name="username" '
        f'value="{esc(username)}" autocomplete="username" autofocus required>'
        '<label for="password">Password</label><input type="password" id="password" name="password" '
        'autocomplete="current-password" required>'
        '<div><button type="submit">Sign in</button></div></form>'
    )
    r = app._html(page("Sign in", body, actor="Mock IdP"), status)
    r.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Lax", path="/", secure=app._secure)
    return r

def check_csrf(request: Request) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, request.form.get("csrf", ""))

def login(app: IdPApp, request: Request) -> Response:
    if request.method != "POST":
        return app._error("method-not-allowed", "Sign in through the form.", 405)
    token = request.form.get("t", "")
    pending = app._take_pending(token, remove=False)
    if pending is None:
        return app._error("login-expired", "This sign-in has expired or was already used; start again.")
    if not check_csrf(request):
        return app._error("csrf", "The sign-in form did not come from this IdP (cross-site request refused).", 403)
    username = request.form.get("username", "")
    user = app.config.user(username)
    if user is None or not hmac.compare_digest(user.password.encode(), request.form.get("password", "").encode()):
        return login_form(app, token, request, username=username, error="Wrong username or password.", status=401)
    if user.totp_secret:
        pending.username = user.username
        return mfa_form(app, token, request)
    app._take_pending(token)
    return app._answer(pending, user, new_session=True)

def mfa_form(app: IdPApp, token: str, request: Request, error: str = "", status: int = 200) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE, "")
    err = f'<div class="refusal" role="alert"><p>{esc(error)}</p></div>' if error else ""
    body = (
        f"{err}<p>Enter the 6-digit code from your authenticator app.</p>"
        f'<form method="post" action="{IdPRoute.MFA}"><input type="hidden" name="t" value="{esc(token)}">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        '<label for="code">Code</label><input type="text" id="code" name="code" inputmode="numeric" '
        'autocomplete="one-time-code" autofocus required><div><button type="submit">Verify</button></div></form>'
    )
    return app._html(page("Second factor", body, actor="Mock IdP"), status)

def mfa(app: IdPApp, request: Request) -> Response:
    if request.method != "POST":
        return app._error("method-not-allowed", "Send the code through the form.", 405)
    token = request.form.get("t", "")
    pending = app._take_pending(token, remove=False)
    if pending is None or pending.username is None:
        return app._error("login-expired", "This sign-in has expired or was already used; start again.")
    if not check_csrf(request):
        return app._error("csrf", "The form did not come from this IdP (cross-site request refused).", 403)
    user = app.config.user(pending.username)
    if user is None or not user.totp_secret:
        return app._error("login-expired", "This sign-in is no longer valid; start again.")
    if not pyotp.TOTP(user.totp_secret).verify(request.form.get("code", "").strip(), valid_window=1):
        return mfa_form(app, token, request, error="That code is not valid.", status=401)
    app._take_pending(token)
    return app._answer(pending, user, new_session=True, mfa=True)
