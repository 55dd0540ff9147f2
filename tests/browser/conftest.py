"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; never a downloaded browser).

One browser per test module (a launch costs about a second), a fresh context (its own cookies)
per test. A failing test leaves a screenshot of the page it was on in `test-output/`. A missing
Chromium or Playwright is a failure with the command that fixes it, never a skip: the README's
`python3 dev.py test` installs both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.core.servers import Servers
from harness.core.tls import TRUST_NICKNAME
from harness.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = os.environ.get("SAML_HARNESS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FIX = "run `python3 dev.py test` (as root it installs them; otherwise it prints the apt-get command)"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _chromium_path() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(f"Chromium is not installed (looked for {CHROMIUM} and `chromium` on PATH): {FIX}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    executable = _chromium_path()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as err:
        pytest.fail(f"Playwright is not installed in this environment ({err}): {FIX}", pytrace=False)
    pw, problem = None, ""
    try:
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=executable, args=ARGS)
    except Error as err:
        lines = [x.strip() for x in str(err).splitlines() if x.strip()] or [type(err).__name__]
        libs = [x for x in lines if "shared libraries" in x]  # e.g. "libatomic.so.1: cannot open ..."
        problem = "; ".join(dict.fromkeys([lines[0], *libs[:3]]))
    if problem:
        if pw is not None:
            pw.stop()
        pytest.fail(
            f"headless Chromium ({executable}) does not start: {problem}. Its libraries (or libatomic1, which "
            f"Playwright's driver needs) may be missing: {FIX}",
            pytrace=False,
        )
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    ws = Workspace.demo(tmp_path_factory.mktemp("browser") / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as s:
        yield s
    ws.close()


def _context(chromium: object, request: pytest.FixtureRequest, **options: object) -> Iterator[object]:
    context = chromium.new_context(**options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        call = getattr(request.node, "_report_call", None)
        if call is not None and call.failed:
            OUTPUT.mkdir(exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            for i, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(OUTPUT / f"{stem}-{i}.png"), full_page=True)
                    (OUTPUT / f"{stem}-{i}.url.txt").write_text(page.url + "\n")
                except Exception:  # a screenshot must not hide the real failure
                    pass
        context.close()


@pytest.fixture
def context(chromium: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser profile (cookies, storage) for one test."""
    yield from _context(chromium, request)


@pytest.fixture
def page(context: object) -> object:
    return context.new_page()


@pytest.fixture
def nojs_context(chromium: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh profile with JavaScript switched off."""
    yield from _context(chromium, request, java_script_enabled=False)


# -- both sides over HTTPS, the workspace's CA trusted as the README says ------------------------


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
