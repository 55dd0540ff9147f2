"""IdP-initiated Single Logout in Chromium with two SPs where the first refuses: each SP gets its
LogoutRequest in a frame of the IdP's logout page, the page's script goes on once the frames have
answered or gone quiet, and the final page reports a partial logout with each SP's result. The
embedded SP answers by HTTP-POST, so its self-posting LogoutResponse page must show in the IdP's frame."""

from __future__ import annotations

from dataclasses import replace

import pytest
from browser.pages import IDM_KEY, PASSWORDS, csp_refusals, sign_in, wait_for_sp, whoami
from slo_helpers import BrokenSP, register_broken_sp

pytestmark = pytest.mark.browser

OTHER = "https://broken-sp.example/saml"


def test_a_refusing_sp_does_not_stop_the_logout_of_the_others(page, servers):
    ws = servers.workspace
    broken = BrokenSP(403)
    base = servers.add_app(broken)
    (embedded,) = ws.idp_for_sps()
    original = ws.subscription(IDM_KEY)
    ws.save_idp_for_sp(replace(embedded, slo_binding="post"))
    ws.save_subscription(replace(original, slo_binding="post"))
    register_broken_sp(ws, OTHER, base)
    servers.reload()
    try:
        page.goto(servers.idp_start_url(OTHER, user="alice"))
        sign_in(page, "alice", PASSWORDS["alice"])
        page.wait_for_url(base + "/acs")
        page.goto(servers.login_url(IDM_KEY))  # the IdP session signs alice in to the embedded SP too
        wait_for_sp(page, servers)
        refused = csp_refusals(page)
        page.goto(servers.idp_base + "/logout")
        page.wait_for_url(servers.idp_base + "/slo/done", timeout=45_000)
        rows = page.locator("tr[data-service-result]")
        results = {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).get_attribute("data-service-result")
                   for i in range(rows.count())}  # fmt: skip
        assert results == {"Broken SP": "not-logged-out", "Vendor SP (embedded)": "logged-out"}, results
        assert "partial logout" in page.inner_text("body")
        assert broken.slo_hits == 1
        status, who = whoami(page, servers)
        assert status == 401 and not who["authenticated"]
        assert servers.idp_app.sessions.count() == 0
        assert refused == []  # the IdP's logout page framed both SPs' SLO endpoints, its frames ran their script
    finally:
        ws.delete_idp_for_sp(OTHER)
        ws.save_idp_for_sp(embedded)
        ws.save_subscription(original)
        servers.reload()
