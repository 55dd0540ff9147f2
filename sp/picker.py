"""The account picker: when one identity names two or more usable accounts, the user chooses.

The choice is bound to the browser that signed in (its SP browser cookie) and lasts ten minutes;
the session it opens is the one a single match would have opened.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from samlkit import csp
from samlkit.app_response import AppResponse
from sp.contract.http import ACCOUNT_PICKER, BROWSER_COOKIE, SESSION, SESSION_COOKIE, Route
from sp.contract.reasons import Reason, Refusal
from sp.mapping import MappingDecision
from sp.model import Account, Subscription
from sp.pages import picker_page
from sp.validate import Validator

if TYPE_CHECKING:
    from sp.app import SPApp


def offer_accounts(
    app: SPApp, request: Request, validator: Validator, decision: MappingDecision, relay: str | None, saml: dict
) -> Response:
    """Two or more accounts match: the user picks one on the SP's picker page."""
    sub = validator.sub
    token = secrets.token_urlsafe(18)
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(18)
    pick = {
        "idm_key": sub.idm_key,
        "logins": [a.login for a in decision.usable],
        "browser": browser,
        "relay": relay,
        "identity": f"{decision.source} {decision.value}",
        "saml": saml,
    }
    app.store.put_pick(token, pick, 600)
    app._verdict(
        ok=True,
        code=ACCOUNT_PICKER,
        message=f"{decision.explanation}: the user picks an account",
        checks=validator.checks,
        subscription=sub.idm_key,
    )
    resp = AppResponse(status=303, headers={"Location": f"{Route.PICK}?t={token}"})
    app._cookie(resp, BROWSER_COOKIE, browser, max_age=30 * 24 * 3600)
    return resp


def open_session(
    app: SPApp, sub: Subscription, account: Account, identity: str, target: str, saml: dict | None = None
) -> Response:
    """A session for `account`: its cookie, and a redirect to where the login was going."""
    token = secrets.token_urlsafe(32)
    app.store.put_session(
        token,
        {
            "login": account.login,
            "subscription": sub.idm_key,
            "subscription_name": sub.name or sub.idm_key,
            "via": "saml",
            "role": account.role,
            "scope": account.scope,
            "identity": identity,
            **(saml or {}),
        },
        app.config.session_lifetime,
    )
    resp = AppResponse(status=303, headers={"Location": target, "Cache-Control": "no-store"})
    app._cookie(resp, SESSION_COOKIE, token)
    return resp


def pick(app: SPApp, request: Request) -> Response:
    """The picker page (GET) and the user's choice (POST), from the browser the choice was offered to."""
    token = request.values.get("t", "")
    choice = app.store.get_pick(token)
    if choice is None or choice.get("browser") != request.cookies.get(BROWSER_COOKIE):
        raise Refusal(
            Reason.PICK_EXPIRED, "This account choice has expired or belongs to another browser; sign in again."
        )
    sub = app.config.subscription(choice["idm_key"])
    if sub is None:
        raise Refusal(Reason.PICK_EXPIRED, "The subscription is gone; sign in again.")
    accounts = [a for a in sub.accounts if a.login in choice["logins"] and a.saml_enabled and a.active]
    if request.method == "GET":
        accounts_shown = [{"login": a.login, "role": a.role} for a in accounts]
        return app._html(picker_page(token, choice["identity"], accounts_shown), policy=csp.PAGE)  # posts to the SP
    chosen = request.form.get("login", "")
    account = next((a for a in accounts if a.login == chosen), None)
    if account is None:
        raise Refusal(Reason.BAD_REQUEST, f"{chosen!r} is not one of the accounts offered.")
    app.store.end_pick(token)
    app._verdict(
        ok=True,
        code=SESSION,
        message=f"Session opened for {account.login} (picked)",
        login=account.login,
        subscription=sub.idm_key,
    )
    return open_session(app, sub, account, choice["identity"], choice.get("relay") or Route.HOME, choice.get("saml"))
