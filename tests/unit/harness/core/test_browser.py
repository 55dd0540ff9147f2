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


def _echo(env: dict, sr):
    """Answers with the client's port (one per connection) and its Cookie header; sets a cookie
    named after the `set` query value."""
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    if "set=" in env.get("QUERY_STRING", ""):
        headers.append(("Set-Cookie", f"who={env['QUERY_STRING'].split('set=')[1]}; Path=/"))
    body = f"{env['REMOTE_PORT']} {env.get('HTTP_COOKIE', '')}".encode()
    sr("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def echo_server() -> Iterator[str]:
    from harness.core.http_server import EmbeddedServer

    srv = EmbeddedServer("127.0.0.1", 0, _echo).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}/"
    finally:
        srv.stop()


def test_a_browser_reuses_its_connection_and_keeps_its_own_cookies(echo_server: str) -> None:
    one, two = ScriptedBrowser(timeout=5), ScriptedBrowser(timeout=5)
    try:
        first = one.get(echo_server + "?set=one").text.split(" ")[0]
        two.get(echo_server + "?set=two")
        pages = [one.get(echo_server) for _ in range(3)]
        other = two.get(echo_server)
        assert {p.text for p in pages} == {f"{first} who=one"}  # one connection, its own cookie
        assert other.text.split(" ")[0] != first and other.text.endswith(" who=two")
    finally:
        one.close()
        two.close()


def test_a_connection_the_server_closed_is_reopened() -> None:
    import time

    from harness.core.http_server import EmbeddedServer, Limits

    srv = EmbeddedServer("127.0.0.1", 0, _echo, limits=Limits(request_timeout=0.2)).start()
    browser = ScriptedBrowser(timeout=5)
    try:
        url = f"http://127.0.0.1:{srv.server_port}/"
        first = browser.get(url).text
        time.sleep(1)  # the server drops the idle kept-alive connection
        again = browser.get(url)
        assert again.status == 200 and again.text != first
    finally:
        browser.close()
        srv.stop()


def test_form_encoding_matches_urlencode() -> None:
    from urllib.parse import urlencode

    from harness.core.browser_transport import form_encode

    data = {"SAMLResponse": "PD94+bWw/=" * 50, "a b": "ü é~-_.!*()'&=?#%\r\n", "": ""}
    assert form_encode(data).decode("ascii") == urlencode(data)


def test_repeated_headers_are_joined_as_requests_did() -> None:
    from harness.core.http_server import EmbeddedServer

    def two_cookies(env: dict, sr):
        sr("200 OK", [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"), ("Content-Length", "0")])
        return [b""]

    srv = EmbeddedServer("127.0.0.1", 0, two_cookies).start()
    browser = ScriptedBrowser(timeout=5)
    try:
        page = browser.get(f"http://127.0.0.1:{srv.server_port}/")
        assert page.headers["Set-Cookie"] == "a=1; Path=/, b=2; Path=/"
        assert {c.name: c.value for c in browser.session.cookies} == {"a": "1", "b": "2"}
    finally:
        browser.close()
        srv.stop()


def _frames_site(env: dict, start_response):
    """A page with two frames (one an error page) and a form its script posts once they loaded."""
    path = env["PATH_INFO"]
    if path == "/":
        body = (
            '<iframe src="/ok"></iframe><iframe src="/broken"></iframe>'
            '<form method="post" action="/done" data-after-frames="1"><input type="hidden" name="run" value="r1">'
            "</form><form method=post action=/never><input name=x value=y></form>"
        )
        return Response(body, mimetype="text/html")(env, start_response)
    if path == "/ok":
        return Response(status=302, headers={"Location": "/ok/end"})(env, start_response)
    if path == "/broken":
        return Response("refused", status=403)(env, start_response)
    return Response(f"{env['REQUEST_METHOD']} {path}")(env, start_response)


def test_frames_are_loaded_then_the_after_frames_form_is_posted() -> None:
    server = make_server("127.0.0.1", 0, _frames_site, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    browser = ScriptedBrowser(timeout=5)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        page = browser.get(base + "/")
        assert page.text == "POST /done"
        assert [p.url.removeprefix(base) for p in browser.history] == ["/", "/ok", "/ok/end", "/broken", "/done"]
        alone = browser.get(base + "/ok/end")  # a page without frames posts no after-frames form
        assert alone.text == "GET /ok/end"
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
