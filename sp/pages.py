"""The SP's HTML pages: plain, accessible, no JavaScript needed."""

from __future__ import annotations

from samlkit.events import Check
from samlkit.html import esc, page
from sp.contract.http import Route

ACTOR = "Vendor SP"


def refusal_page(code: str, message: str, checks: list[Check] | None = None) -> str:
    rows = ""
    if checks:
        rows = (
            "<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>"
            + "".join(
                f"<tr><td>{esc(c.name)}</td><td>{'✔' if c.ok else '✘'}</td><td>{esc(c.detail)}</td></tr>"
                for c in checks
            )
            + "</table>"
        )
    body = (
        f'<div class="refusal" role="alert"><p>Reason code: <code id="reason-code">{esc(code)}</code></p>'
        f'<p id="reason">{esc(message)}</p></div>{rows}'
    )
    return page("Single sign-on refused", body, actor=ACTOR)


def home_page(session: dict | None, subscriptions: list[tuple[str, str, str]]) -> str:
    if session:
        scope = ", ".join(session.get("scope") or []) or "none"
        body = (
            f'<div class="ok"><p>Signed in as <strong id="login">{esc(session["login"])}</strong> '
            f"(subscription {esc(session['subscription_name'])}, via {esc(session['via'])}).</p></div>"
            f"<table><tr><th>Role</th><td>{esc(session.get('role', ''))}</td></tr>"
            f"<tr><th>Scope</th><td>{esc(scope)}</td></tr>"
            f"<tr><th>Identity</th><td>{esc(session.get('identity', ''))}</td></tr></table>"
            f'<p><a id="logout" href="{Route.LOGOUT}">Log out</a></p>'
        )
        return page("Home", body, actor=ACTOR)
    links = "".join(
        f'<li><a href="{esc(url)}">{esc(name)}</a> <code>idm_key={esc(key)}</code></li>'
        for key, name, url in subscriptions
    )
    body = f"<p>You are not signed in.</p><h2>Unique login URLs</h2><ul>{links or '<li>None yet.</li>'}</ul>"
    return page("Vendor SP", body, actor=ACTOR)


def picker_page(token: str, value: str, accounts: list[dict]) -> str:
    options = "".join(
        f'<div class="choice"><input type="radio" name="login" id="acct-{i}" value="{esc(a["login"])}"'
        f'{" checked" if i == 0 else ""}><label for="acct-{i}">{esc(a["login"])} — {esc(a["role"])}</label></div>'
        for i, a in enumerate(accounts)
    )
    body = (
        f"<p>{esc(value)} has more than one account in this subscription. Pick the one to use.</p>"
        f'<form method="post" action="{Route.PICK}"><input type="hidden" name="t" value="{esc(token)}">'
        f'<fieldset><legend>Accounts</legend>{options}</fieldset><button type="submit">Continue</button></form>'
    )
    return page("Choose an account", body, actor=ACTOR)


def logged_out_page(note: str = "") -> str:
    why = f'<p id="slo-note">{esc(note)}</p>' if note else ""
    return page("Logged out", f'<p>You are logged out.</p>{why}<p><a href="/">Home</a></p>', actor=ACTOR)
