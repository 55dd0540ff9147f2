"""A real IdP lives on another site than the SP: the IdP's form posts the Response cross-site.

Here the mock IdP is named "localhost" and the SP "127.0.0.1": two sites for Chromium, so the
SP's SameSite=Lax cookies are not sent with the IdP's POST, exactly as with a customer's IdP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser.pages import IDM_KEY, PASSWORDS, csp_refusals, sign_in, wait_for_sp, whoami

from harness.core.servers import Servers
from harness.core.workspace import Workspace

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cross_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    ws = Workspace.demo(tmp_path_factory.mktemp("cross") / "ws")
    with Servers(ws, sp_port=0, idp_port=0, idp_host_name="localhost") as s:
        yield s
    ws.close()


def test_sp_initiated_login_with_an_idp_on_another_site(page, cross_site):
    assert "localhost" in cross_site.idp_base and "127.0.0.1" in cross_site.sp_base
    refused = csp_refusals(page)
    page.goto(cross_site.login_url(IDM_KEY))
    assert page.url.startswith(cross_site.idp_base)
    sign_in(page, "alice", PASSWORDS["alice"])
    wait_for_sp(page, cross_site)
    assert page.locator("#login").inner_text() == "alice", page.inner_text("main")
    status, who = whoami(page, cross_site)
    assert status == 200 and who["login"] == "alice"
    assert refused == []  # the SP's same-site re-post page ran its script and posted to the SP


def test_idp_initiated_login_with_an_idp_on_another_site(page, cross_site):
    page.goto(cross_site.idp_start_url(user="bob"))
    sign_in(page, "bob", PASSWORDS["bob"])
    wait_for_sp(page, cross_site)
    status, who = whoami(page, cross_site)
    assert status == 200 and who["login"] == "demo_bb"


def test_the_trace_explains_the_same_site_re_post(page, cross_site):
    from harness.core.recorder import TraceRecorder

    recorder = TraceRecorder()
    cross_site.add_listener(recorder)
    try:
        page.goto(cross_site.login_url(IDM_KEY))
        sign_in(page, "alice", PASSWORDS["alice"])
        wait_for_sp(page, cross_site)
    finally:
        cross_site.remove_listener(recorder)
    bounce = [s for s in recorder.trace.steps if "X-SAML-Bounce" in s.headers]
    assert len(bounce) == 1 and "SameSite" in bounce[0].explanation
    assert recorder.trace.outcome == "session" and recorder.trace.login == "alice"
