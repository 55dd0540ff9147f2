"""SP-initiated Single Logout in real Chromium over HTTPS between two sites (the SP on 127.0.0.1,
the mock IdP on localhost), the workspace's CA trusted as the README says (the fixtures in
conftest.py): the Redirect binding's top-level navigations carry the IdP's cookie."""

from __future__ import annotations

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
