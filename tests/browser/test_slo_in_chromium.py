"""SP-initiated Single Logout in headless Chromium: the SP's Log out link, a signed LogoutRequest to
the mock IdP, the signed LogoutResponse back, the exit URL; both sessions are gone afterwards."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from browser.pages import IDM_KEY, PASSWORDS, csp_refusals, sign_in, wait_for_sp, whoami

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_sp_initiated_single_logout(page, servers, binding):
    ws = servers.workspace
    original = ws.subscription(IDM_KEY)
    ws.save_subscription(replace(original, slo_binding=binding))  # POST: the page's script posts it on
    servers.reload()
    try:
        refused = csp_refusals(page)
        page.goto(servers.login_url(IDM_KEY))
        sign_in(page, "alice", PASSWORDS["alice"])
        wait_for_sp(page, servers)
        seen: list[tuple[str, str]] = []
        page.on("request", lambda r: seen.append((r.method, r.url)))
        with page.expect_navigation():
            page.get_by_role("link", name="Log out").click()
        page.wait_for_url(servers.idp_base + "/")  # the exit URL, after the LogoutResponse
        assert page.title() == "Mock identity provider"
        hops = [(m, urlsplit(u).path) for m, u in seen if urlsplit(u).path in ("/slo", "/IdM/saml2/slo")]
        method = "POST" if binding == "post" else "GET"
        assert hops == [(method, "/slo"), ("GET", "/IdM/saml2/slo")], seen
        status, who = whoami(page, servers)
        assert status == 401 and not who["authenticated"]
        assert refused == []  # the SP's self-posting LogoutRequest page needed nothing its CSP refuses
        page.goto(servers.login_url(IDM_KEY))  # the IdP session ended too: it asks for the password
        assert page.title() == "Sign in"
    finally:
        ws.save_subscription(original)
        servers.reload()


def test_a_logout_confirmed_on_the_sp_page_goes_on_to_the_idp_and_the_exit_url(page, servers):
    """A logout from another origin asks first; the confirmation's POST is followed by redirects to
    the IdP's SLO URL and the exit URL, which its form-action names (Chromium holds them to it)."""
    page.goto(servers.login_url(IDM_KEY))
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, servers)
    refused = csp_refusals(page)
    page.goto(servers.idp_base + "/")
    with page.expect_navigation():
        page.evaluate("url => { location.href = url }", servers.sp_base + "/fo/logout.php")
    assert page.title() == "Log out"
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    page.wait_for_url(servers.idp_base + "/")  # the exit URL, after the IdP's LogoutResponse
    status, who = whoami(page, servers)
    assert status == 401 and not who["authenticated"]
    assert refused == []
