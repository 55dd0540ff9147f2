"""SP-initiated Single Logout in real Chromium over HTTPS between two sites (the SP on 127.0.0.1,
the mock IdP on localhost), the workspace's CA trusted as the README says (the fixtures in
conftest.py): the Redirect binding's top-level navigations carry the IdP's cookie; an HTTP-POST
LogoutRequest arrives without it (SameSite=Lax) and names its session itself."""

from __future__ import annotations

from dataclasses import replace

import pytest
from browser.pages import IDM_KEY, PASSWORDS, sign_in, wait_for_sp, whoami

pytestmark = pytest.mark.browser


def test_sp_initiated_single_logout_over_https_between_two_sites(https_page, https_servers):
    """Both sides on HTTPS, the IdP on another site (localhost) than the SP (127.0.0.1): the
    Redirect binding's top-level navigations carry the IdP's SameSite=Lax session cookie."""
    page = https_page
    page.goto(https_servers.login_url(IDM_KEY))
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, https_servers)
    with page.expect_navigation():
        page.get_by_role("link", name="Log out").click()
    page.wait_for_url(https_servers.idp_base + "/")  # the exit URL, after the IdP's LogoutResponse
    status, who = whoami(page, https_servers)
    assert status == 401 and not who["authenticated"]
    assert https_servers.idp_app.sessions.count() == 0
    page.goto(https_servers.login_url(IDM_KEY))
    assert page.title() == "Sign in"  # the IdP session ended too


def test_a_cross_site_posted_logout_request_ends_the_idp_session_without_its_cookie(https_page, https_servers):
    """The SP's LogoutRequest posted from 127.0.0.1 to localhost: Chromium leaves the IdP's Lax cookie
    out of that cross-site POST, and the IdP finds the session from the signed NameID and SessionIndex."""
    ws = https_servers.workspace
    original = ws.subscription(IDM_KEY)
    ws.save_subscription(replace(original, slo_binding="post"))
    https_servers.reload()
    try:
        page = https_page
        page.goto(https_servers.login_url(IDM_KEY))
        sign_in(page, "alice", PASSWORDS["alice"])
        wait_for_sp(page, https_servers)
        with page.expect_navigation():
            page.get_by_role("link", name="Log out").click()
        page.wait_for_url(https_servers.idp_base + "/")  # the exit URL, after the IdP's Success
        assert https_servers.idp_app.sessions.count() == 0
        page.goto(https_servers.login_url(IDM_KEY))
        assert page.title() == "Sign in"  # the IdP session ended too
    finally:
        ws.save_subscription(original)
        https_servers.reload()
