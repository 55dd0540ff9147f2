"""A login in real Chromium with both sides on HTTPS, the workspace's local CA trusted the way
the README tells a tester to (certutil into the NSS database Chromium reads, here a temporary
HOME), not with --ignore-certificate-errors: a certificate problem fails the test.

The mock IdP is named "localhost" and the SP "127.0.0.1" (two sites, as with a real IdP): over
HTTPS the SP's browser cookie is SameSite=None; Secure, so it comes along on the IdP's
cross-site POST and the SP needs no same-site re-post. The fixtures (`https_servers`,
`https_page`) are in conftest.py: the Single Logout test over HTTPS uses them too.
"""

from __future__ import annotations

from browser.pages import IDM_KEY, PASSWORDS, sign_in, wait_for_sp, whoami

from harness.core.recorder import TraceRecorder
from harness.core.servers import Servers


def test_sp_initiated_login_over_https_in_chromium(https_page, https_servers: Servers) -> None:
    page = https_page
    assert https_servers.sp_base.startswith("https://127.0.0.1:")
    assert https_servers.idp_base.startswith("https://localhost:")
    recorder = TraceRecorder()
    https_servers.add_listener(recorder)
    try:
        page.goto(https_servers.login_url(IDM_KEY))  # a certificate error would stop here
        assert page.url.startswith(https_servers.idp_base)
        sign_in(page, "alice", PASSWORDS["alice"])
        wait_for_sp(page, https_servers)
    finally:
        https_servers.remove_listener(recorder)
    assert page.locator("#login").inner_text() == "alice", page.inner_text("main")
    status, who = whoami(page, https_servers)
    assert status == 200 and who["login"] == "alice"
    assert recorder.trace.outcome == "session" and recorder.trace.login == "alice"
    assert not [s for s in recorder.trace.steps if "X-SAML-Bounce" in s.headers]  # the cookie came cross-site
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sp_browser"]["secure"] and cookies["sp_browser"]["sameSite"] == "None"
    assert cookies["sp_session"]["secure"] and cookies["mockidp_session"]["secure"]


def test_idp_initiated_single_logout_over_https_in_chromium(https_page, https_servers: Servers) -> None:
    """The mock IdP's "sign out of every service": its LogoutRequest reaches the SP on another
    site over TLS (in a frame of the IdP's logout page: the SP finds the session by NameID, no
    cookie needed), the SP's LogoutResponse comes back, and both sessions end."""
    page = https_page
    page.goto(https_servers.login_url(IDM_KEY))
    if page.title() == "Sign in":
        sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, https_servers)
    assert whoami(page, https_servers)[1]["login"] == "alice"
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(https_servers.idp_base + "/logout")  # the SP told in a frame of the IdP's logout page
    page.wait_for_url(https_servers.idp_base + "/slo/done")
    assert "Signed out" in page.inner_text("body"), page.inner_text("body")
    assert page.locator("tr[data-service-result]").get_attribute("data-service-result") == "logged-out"
    assert any(u.startswith(https_servers.sp_base) for u in seen), seen  # the SP was told, over TLS
    assert all(u.startswith("https://") for u in seen), seen
    status, who = whoami(page, https_servers)
    assert status == 401 and not who["authenticated"]
    assert https_servers.idp_app.sessions.count() == 0
