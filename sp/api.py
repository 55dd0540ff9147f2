"""The user API (`/api/2.0/fo/user/`): login and password over HTTP Basic only, never SAML.

As the vendor's guide says, SAML SSO cannot be used for the API. A request carrying only a
SAML session cookie is refused with `api-saml-session-refused`. Writes need a Manager and
the `X-Requested-With` header (a browser cannot send it cross-site without CORS), which keeps
cross-site forms out.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict, replace
from typing import Protocol

from werkzeug.wrappers import Request, Response

from sp.contract.http import SESSION_COOKIE
from sp.contract.reasons import Reason, Refusal
from sp.model import ROLES, Account, SPConfig, Subscription
from sp.throttle import ApiThrottle


class AccountsHolder(Protocol):
    """What the API needs of the SP: its configuration, and a way to change one subscription's accounts."""

    @property
    def config(self) -> SPConfig: ...

    def update_accounts(self, idm_key: str, accounts: list[Account]) -> None: ...

    @property
    def api_throttle(self) -> ApiThrottle: ...


FIELDS = ("external_id", "saml_enabled", "role", "scope", "first_name", "last_name", "email", "password", "active")


def _authenticate(app: AccountsHolder, request: Request) -> tuple[Subscription, Account]:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        if request.cookies.get(SESSION_COOKIE):
            raise Refusal(
                Reason.API_SAML_SESSION_REFUSED,
                "The API takes a login and password (HTTP Basic), never a SAML session.",
            )
        raise Refusal(Reason.API_AUTH_REQUIRED, "The API needs HTTP Basic authentication with a login and password.")
    login, client = auth.username or "", request.remote_addr or "?"
    with app.api_throttle.attempt:  # check, compare and count as one step (see ApiThrottle.attempt)
        app.api_throttle.check(login, client)  # locked or too fast: 429 before any password is compared
        found = _account(app, login, auth.password or "")
        if found is not None:
            app.api_throttle.succeeded(login)
            return found
        app.api_throttle.failed(login, client)
    raise Refusal(Reason.API_AUTH_REQUIRED, "The login or password is wrong (or the account has no API password).")


def _account(app: AccountsHolder, login: str, password: str) -> tuple[Subscription, Account] | None:
    for sub in app.config.subscriptions:
        for acct in sub.accounts:
            if (
                acct.login == login
                and acct.password
                and acct.active
                and hmac.compare_digest(acct.password.encode(), password.encode())
            ):
                return sub, acct
    return None


def _public(a: Account) -> dict:
    d = asdict(a)
    d.pop("password")
    return d


def _parse(form: dict[str, str], base: Account) -> Account:
    changes: dict = {}
    for key in FIELDS:
        if key not in form:
            continue
        v = form[key]
        if key in ("saml_enabled", "active"):
            changes[key] = v.lower() in ("1", "true", "yes", "on")
        elif key == "scope":
            changes[key] = [s.strip() for s in v.split(",") if s.strip()]
        elif key == "role":
            if v not in ROLES:
                raise Refusal(Reason.BAD_REQUEST, f"The role {v!r} is not one of {', '.join(ROLES)}.")
            changes[key] = v
        else:
            changes[key] = v
    return replace(base, **changes)


def handle(app: AccountsHolder, request: Request) -> Response:
    sub, caller = _authenticate(app, request)
    action = request.values.get("action", "list")
    if action == "list" and request.method in ("GET", "POST"):
        body = {"subscription": sub.idm_key, "accounts": [_public(a) for a in sub.accounts]}
        return Response(json.dumps(body), mimetype="application/json")
    if request.method != "POST":
        raise Refusal(Reason.BAD_REQUEST, f"The action {action!r} needs POST.", 405)
    if request.headers.get("X-Requested-With") is None:
        raise Refusal(Reason.CSRF, "API writes need the X-Requested-With header.")
    if caller.role != "Manager":
        raise Refusal(Reason.FORBIDDEN, f"{caller.login} is a {caller.role}; only a Manager may change accounts.", 403)
    form = {k: v for k, v in request.form.items()}
    login = form.get("login", "")
    if not login:
        raise Refusal(Reason.BAD_REQUEST, "The login is required.")
    if (
        action == "add"
        and sub.nds_enabled is False
        and form.get("saml_enabled", "").lower() in ("1", "true", "yes", "on")
    ):
        raise Refusal(Reason.NDS_REQUIRED, "SAML cannot be enabled without the New Data Security Model.")
    accounts = list(sub.accounts)
    existing = next((i for i, a in enumerate(accounts) if a.login == login), None)
    if action == "add":
        if existing is not None:
            raise Refusal(Reason.BAD_REQUEST, f"The account {login!r} already exists.", 409)
        new = _parse(form, Account(login=login))
        accounts.append(new)
    elif action in ("edit", "deactivate"):
        if existing is None:
            raise Refusal(Reason.USER_NOT_FOUND, f"No account {login!r} in this subscription.", 404)
        if action == "deactivate":
            new = replace(accounts[existing], active=False)
        else:
            new = _parse(form, accounts[existing])
            if new.saml_enabled and not sub.nds_enabled:
                raise Refusal(Reason.NDS_REQUIRED, "SAML cannot be enabled without the New Data Security Model.")
        accounts[existing] = new
    else:
        raise Refusal(Reason.BAD_REQUEST, f"Unknown action {action!r}: use list, add, edit or deactivate.")
    app.update_accounts(sub.idm_key, accounts)
    return Response(json.dumps({"ok": True, "action": action, "account": _public(new)}), mimetype="application/json")
