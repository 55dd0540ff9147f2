"""Whole logins in headless Chromium against the embedded SP and the mock IdP on loopback.

A person's path: open the unique login URL, sign in at the mock IdP's page, ride the
self-submitting form back to the SP, land on the home page. Locators go through labels and
roles, so the pages must stay accessible; one test runs with JavaScript off.
"""

from __future__ import annotations

import pyotp
import pytest
from browser.pages import IDM_KEY, PASSWORDS, csp_refusals, sign_in, wait_for_sp, whoami

from harness.core.workspace_records import IdPForSP

pytestmark = pytest.mark.browser


def test_sp_initiated_login(page, servers):
    refused = csp_refusals(page)
    response = page.goto(servers.login_url(IDM_KEY))
    assert response.url.startswith(servers.idp_base + "/sso?SAMLRequest=")
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, servers)
    assert page.title() == "Home"
    assert page.locator("#login").inner_text() == "alice"
    assert "Demo Corp" in page.inner_text("main")
    status, who = whoami(page, servers)
    assert status == 200
    assert who["authenticated"] and who["login"] == "alice" and who["via"] == "saml" and who["subscription"] == IDM_KEY
    assert refused == []  # the IdP's pages (sign-in, self-posting Response) needed nothing their CSP refuses


def test_session_cookie_is_httponly_and_samesite(page, servers):
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, servers)
    cookies = {c["name"]: c for c in page.context.cookies()}
    for name in ("sp_session", "sp_browser", "mockidp_session", "mockidp_csrf"):
        assert cookies[name]["httpOnly"], name
        assert cookies[name]["sameSite"] in ("Lax", "Strict"), (name, cookies[name]["sameSite"])
    # HttpOnly: the page's own scripts cannot read the session.
    assert "sp_session" not in page.evaluate("document.cookie")


def test_idp_initiated_login(page, servers):
    refused = csp_refusals(page)
    page.goto(servers.idp_start_url(user="bob"))
    assert page.get_by_label("Username").input_value() == "bob"
    sign_in(page, "bob", PASSWORDS["bob"])
    wait_for_sp(page, servers)
    assert page.locator("#login").inner_text() == "demo_bb"  # mapped by External ID
    status, who = whoami(page, servers)
    assert (status, who["login"]) == (200, "demo_bb")
    assert refused == []


def test_an_acs_that_sends_the_browser_on_to_another_origin(page, servers):
    """The IdP's self-posting page names no form-action: Chromium would hold the ACS's redirect to the
    SP's application on another origin to it, and the login would stop at the ACS."""
    app_base = servers.add_app(_text_app("the SP's application"))
    acs_base = servers.add_app(_redirect_app(app_base + "/app"))
    ws = servers.workspace
    entity = "https://two-origin-sp.example/saml"
    ws.save_idp_for_sp(
        IdPForSP(entity_id=entity, name="Two-origin SP", acs_url=acs_base + "/acs", sp_certificate=_a_cert(ws))
    )
    servers.reload()
    try:
        refused = csp_refusals(page)
        page.goto(servers.idp_start_url(entity, user="alice"))
        sign_in(page, "alice", PASSWORDS["alice"])
        page.wait_for_url(app_base + "/app")
        assert page.inner_text("body") == "the SP's application" and refused == []
    finally:
        ws.delete_idp_for_sp(entity)
        servers.reload()


def _a_cert(ws) -> str:
    return ws.keypair("idp-old").cert_pem.decode()


def _text_app(text: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


def _redirect_app(location: str):
    """An ACS that takes the POST and sends the browser on (303), as many SPs do."""

    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("303 See Other", [("Location", location), ("Content-Length", "0")])
        return [b""]

    return app


def test_second_factor(page, servers):
    refused = csp_refusals(page)
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "frank", "frank123")
    assert page.title() == "Second factor"
    page.get_by_label("Code").fill(pyotp.TOTP(servers.workspace.user("frank").totp_secret).now())
    page.get_by_role("button", name="Verify").click()
    wait_for_sp(page, servers)
    assert page.locator("#login").inner_text() == "frank"
    assert refused == []


def test_account_picker(page, servers):
    refused = csp_refusals(page)
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "dave", PASSWORDS["dave"])
    wait_for_sp(page, servers, "/fo/pick")
    assert page.title() == "Choose an account"
    choices = page.get_by_role("radio")
    assert choices.count() == 2
    page.get_by_label("demo_dd2").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    wait_for_sp(page, servers)
    assert page.locator("#login").inner_text() == "demo_dd2"
    assert whoami(page, servers)[1]["login"] == "demo_dd2"
    assert refused == []  # the picker's form posts to the SP


@pytest.mark.parametrize(("user", "code"), [("erin", "user-not-found"), ("carol", "saml-disabled-for-user")])
def test_refusal_page_names_the_reason(page, servers, user, code):
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, user, PASSWORDS[user])
    wait_for_sp(page, servers, "/IdM/saml2/")
    assert page.title() == "Single sign-on refused"
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#reason-code").inner_text() == code
    assert "Traceback" not in page.content()
    status, who = whoami(page, servers)
    assert status == 401 and who == {"authenticated": False}


def test_logout_goes_to_the_exit_url(page, servers):
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, servers)
    with page.expect_navigation():
        page.get_by_role("link", name="Log out").click()
    page.wait_for_url(servers.idp_base + "/")  # the demo subscription's exit URL is the mock IdP's home
    assert page.title() == "Mock identity provider"
    status, who = whoami(page, servers)
    assert status == 401 and not who["authenticated"]


def test_without_javascript_the_continue_button_carries_on(nojs_context, servers):
    page = nojs_context.new_page()
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "alice", PASSWORDS["alice"])
    # The self-submitting form cannot submit itself: the page says so and offers a button.
    assert page.url.startswith(servers.idp_base + "/login")
    assert "JavaScript is off: press Continue" in page.inner_text("main")  # the <noscript> note is rendered
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    wait_for_sp(page, servers)
    assert page.locator("#login").inner_text() == "alice"
    assert whoami(page, servers)[1]["login"] == "alice"


def test_cross_site_form_cannot_sign_in_at_the_idp(context, servers):
    """A page on another site posts the IdP's login form: the csrf cookie stays behind (SameSite)."""
    import requests

    # The attacker starts a login of their own to get a live form token...
    attacker = requests.get(servers.idp_start_url(), params={"user": "alice"}, timeout=10)
    token = attacker.text.split('name="t" value="', 1)[1].split('"', 1)[0]
    page = context.new_page()
    page.goto(servers.idp_start_url(user="alice"))  # ...the victim has visited the IdP (has a csrf cookie)
    page.set_content(  # about:blank: an opaque origin, another site than the IdP
        f'<form method="post" action="{servers.idp_base}/login">'
        f'<input name="t" value="{token}"><input name="csrf" value="guess">'
        '<input name="username" value="alice"><input name="password" value="alice123">'
        "<button>go</button></form>"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="go").click()
    assert "cross-site request refused" in page.inner_text("main")
    assert "SAMLResponse" not in page.content()
