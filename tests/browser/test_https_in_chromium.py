"""A login in real Chromium with both sides on HTTPS, the workspace's local CA trusted the way
the README tells a tester to (certutil into the NSS database Chromium reads, here a temporary
HOME), not with --ignore-certificate-errors: a certificate problem fails the test.

The mock IdP is named "localhost" and the SP "127.0.0.1" (two sites, as with a real IdP): over
HTTPS the SP's browser cookie is SameSite=None; Secure, so it comes along on the IdP's
cross-site POST and the SP needs no same-site re-post.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser.conftest import ARGS, FIX, _chromium_path
from browser.pages import IDM_KEY, PASSWORDS, sign_in, wait_for_sp, whoami

from harness.core.recorder import TraceRecorder
from harness.core.servers import Servers
from harness.core.tls import TRUST_NICKNAME
from harness.core.workspace import Workspace


@pytest.fixture(scope="module")
def https_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    ws = Workspace.demo(tmp_path_factory.mktemp("https") / "ws")
    with Servers(ws, sp_port=0, idp_port=0, idp_host_name="localhost", https=True) as s:
        yield s
    ws.close()


def _home_trusting(ca_file: str, home: Path) -> Path:
    """A HOME whose NSS database (~/.pki/nssdb, read by Chromium on Linux) trusts the CA."""
    certutil = shutil.which("certutil")
    if not certutil:
        pytest.fail(f"certutil (Debian: libnss3-tools) is not installed: {FIX}", pytrace=False)
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{db}", "-N", "--empty-password"], check=True, timeout=60)
    subprocess.run(
        [certutil, "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", TRUST_NICKNAME, "-i", ca_file], check=True, timeout=60
    )
    return home


@pytest.fixture(scope="module")
def https_page(https_servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    home = _home_trusting(https_servers.ca_file, tmp_path_factory.mktemp("chromium-home"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium_path(), args=ARGS, env={"HOME": str(home)})
        context = browser.new_context()
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


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
