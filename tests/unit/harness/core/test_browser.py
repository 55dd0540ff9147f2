"""harness.core.browser: the scripted browser never sends the harness's loopback requests through a
proxy from the environment, and keeps the environment's settings for other hosts."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from harness.core.browser import ScriptedBrowser


@pytest.fixture
def loopback_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, lambda env, sr: Response("hello")(env, sr), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_loopback_requests_ignore_an_environment_proxy(loopback_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    browser = ScriptedBrowser(timeout=5)
    try:
        page = browser.get(loopback_url)
    finally:
        browser.close()
    assert page.status == 200 and page.text == "hello"


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("http://127.0.0.1:8443/x", False),
        ("http://localhost:8443/x", False),
        ("http://[::1]:8443/x", False),
        ("https://sp.example.com/IdM/saml2/", True),
    ],
)
def test_the_environment_is_read_for_other_hosts_only(url: str, trusted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def fake_request(self, method, url, *args, **kwargs):
        seen.append(self.trust_env)

    monkeypatch.setattr(requests.Session, "request", fake_request)
    browser = ScriptedBrowser()
    browser.session.request("GET", url)
    assert seen == [trusted]
