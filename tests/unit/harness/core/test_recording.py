"""A recording's token reaches only the browser the harness opened, and redirects only home."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from harness.core.recording import PAGE_PATH, RECORD_PATH, Recordings
from samlkit.events import RECORDING_COOKIE, cookie


def _app(environ, start_response):
    return Response("app")(environ, start_response)


def _setup() -> tuple[Recordings, Client]:
    rec = Recordings()
    rec.bases = ("http://127.0.0.1:5001", "http://localhost:5002")
    return rec, Client(rec.middleware(_app))


def test_the_url_passes_through_every_server_then_to_the_target():
    rec, client = _setup()
    token = rec.start()
    url = rec.url(token, "http://127.0.0.1:5001/fo/login.php?idm_key=4711")
    assert url.startswith("http://127.0.0.1:5001" + RECORD_PATH + "?t=" + token)
    r = client.get(url.split("5001", 1)[1])
    assert r.status_code == 302 and r.headers["Location"].startswith("http://localhost:5002" + RECORD_PATH)
    assert f"{RECORDING_COOKIE}={token}" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    last = client.get(r.headers["Location"].split("5002", 1)[1])
    assert last.headers["Location"] == "http://127.0.0.1:5001/fo/login.php?idm_key=4711"
    assert client.get("/other").get_data(as_text=True) == "app"  # everything else is the app's


def test_unknown_or_ended_tokens_and_foreign_targets_go_nowhere():
    rec, client = _setup()
    token = rec.start()
    evil = quote("https://evil.example/", safe="")
    assert client.get(f"{RECORD_PATH}?t={token}&next={evil}").status_code == 404  # no open redirect
    assert client.get(f"{RECORD_PATH}?t=guess&next={quote('http://127.0.0.1:5001/', safe='')}").status_code == 404
    rec.end(token)
    assert client.get(f"{RECORD_PATH}?t={token}&next={quote('http://127.0.0.1:5001/', safe='')}").status_code == 404


def test_the_servers_read_the_cookie_into_their_events():
    assert cookie({"HTTP_COOKIE": f"a=1; {RECORDING_COOKIE}=tok; b=2"}, RECORDING_COOKIE) == "tok"
    assert cookie({}, RECORDING_COOKIE) is None


def test_a_recording_page_is_served_on_the_first_server_until_the_recording_ends():
    rec, client = _setup()
    token = rec.start()
    url = rec.page(token, "<p>the page</p>")
    assert url == f"http://127.0.0.1:5001{PAGE_PATH}?t={token}"
    r = client.get(url.split("5001", 1)[1])
    assert r.status_code == 200 and r.get_data(as_text=True) == "<p>the page</p>"
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Content-Type"].startswith("text/html")
    assert client.get(f"{PAGE_PATH}?t=guess").status_code == 404
    other = rec.start()
    assert client.get(f"{PAGE_PATH}?t={other}").status_code == 404  # a recording without a page
    rec.end(token)
    assert client.get(url.split("5001", 1)[1]).status_code == 404
    with pytest.raises(ValueError):
        rec.page(token, "<p>late</p>")
