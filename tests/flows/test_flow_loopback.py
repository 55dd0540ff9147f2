"""Both apps on real loopback servers (the harness's cheroot seam, `EmbeddedServer`, port 0),
driven by a scripted browser on `requests` (one cookie jar, as a browser has) and by raw
`http.client`."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
import requests
from saml_helpers import TOTP_SECRET, World, forms, make_world, saml_form

from harness.core.http_server import EmbeddedServer

pytestmark = pytest.mark.usefixtures("no_process_spawned")


class Late:
    """A WSGI app bound after the socket: the configs need the ports the OS picked."""

    app: Callable | None = None

    def __call__(self, environ: dict, start_response: Callable):
        return self.app(environ, start_response)


@dataclass
class Live:
    world: World
    sp_url: str
    idp_url: str


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    sp_app, idp_app = Late(), Late()
    sp_server = EmbeddedServer("127.0.0.1", 0, sp_app).start()
    idp_server = EmbeddedServer("127.0.0.1", 0, idp_app).start()
    sp_url = f"http://127.0.0.1:{sp_server.server_port}"
    idp_url = f"http://127.0.0.1:{idp_server.server_port}"
    world = make_world(tmp_path, sp_base=sp_url, idp_base=idp_url)
    sp_app.app, idp_app.app = world.sp, world.idp
    try:
        yield Live(world, sp_url, idp_url)
    finally:
        sp_server.stop()
        idp_server.stop()
        world.close()


class ScriptedBrowser:
    """Follows redirects, fills the IdP's forms and submits the auto-post form, like a person would."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def submit(self, page: requests.Response, action: str | None = None, **values: str) -> requests.Response:
        form = next(f for f in forms(page.text) if action is None or f.action == action)
        return self.http.post(urljoin(page.url, form.action), data={**form.fields, **values}, timeout=10)

    def post_saml(self, page: requests.Response, **kw) -> requests.Response:
        form = saml_form(page.text)
        return self.http.post(form.action, data=form.fields, timeout=10, **kw)


@pytest.fixture
def browser() -> Iterator[ScriptedBrowser]:
    b = ScriptedBrowser()
    yield b
    b.close()


def test_sp_initiated_login_over_loopback(live: Live, browser: ScriptedBrowser) -> None:
    page = browser.http.get(f"{live.sp_url}/fo/login.php", params={"idm_key": "1001"}, timeout=10)
    assert page.status_code == 200 and page.url.startswith(live.idp_url + "/sso?SAMLRequest=")
    posted = browser.submit(page, "/login", username="alice", password="alice-pw")
    home = browser.post_saml(posted)
    assert home.status_code == 200 and home.url == f"{live.sp_url}/home"
    assert [r.status_code for r in home.history] == [303]
    me = browser.http.get(f"{live.sp_url}/whoami", timeout=10).json()
    assert (me["authenticated"], me["login"], me["via"]) == (True, "alice", "saml")
    out = browser.http.get(  # the tester's click on the app's own link
        f"{live.sp_url}/fo/logout.php", headers={"Sec-Fetch-Site": "same-origin"}, allow_redirects=False, timeout=10
    )
    assert out.status_code == 302 and out.headers["Location"] == live.world.sub.exit_url
    assert browser.http.get(f"{live.sp_url}/whoami", timeout=10).status_code == 401


def test_idp_initiated_login_with_totp_over_loopback(live: Live, browser: ScriptedBrowser) -> None:
    start = browser.http.get(
        f"{live.idp_url}/start", params={"sp": live.world.sp_config.entity_id, "user": "tina"}, timeout=10
    )
    mfa = browser.submit(start, "/login", username="tina", password="tina-pw")
    assert "one-time-code" in mfa.text
    posted = browser.submit(mfa, "/mfa", code=pyotp.TOTP(TOTP_SECRET).now())
    home = browser.post_saml(posted)
    assert home.url == f"{live.sp_url}/home"
    assert browser.http.get(f"{live.sp_url}/whoami", timeout=10).json()["login"] == "tina"


def test_replay_over_loopback_is_refused(live: Live, browser: ScriptedBrowser) -> None:
    page = browser.http.get(f"{live.sp_url}/fo/login.php", params={"idm_key": "1001"}, timeout=10)
    posted = browser.submit(page, "/login", username="alice", password="alice-pw")
    assert browser.post_saml(posted).status_code == 200
    again = requests.post(live.world.sp_config.acs_url, data=saml_form(posted.text).fields, timeout=10)
    assert again.status_code == 403 and again.headers["X-SAML-Reason"] == "replayed"


def test_forged_response_over_loopback(live: Live, keys) -> None:
    value = live.world.forge(key_pem=keys.foreign.key_pem, cert_pem=keys.foreign.cert_pem)
    r = requests.post(live.world.sp_config.acs_url, data={"SAMLResponse": value}, timeout=10)
    assert r.status_code == 403 and r.headers["X-SAML-Reason"] == "signature-invalid"
    assert "signature-invalid" in r.text and "Traceback" not in r.text


def test_oversized_body_is_refused_before_it_is_read(live: Live) -> None:
    """The 413 comes back after the headers alone: the SP never waits for the 10 MB."""
    parts = urlsplit(live.world.sp_config.acs_url)
    # No body is ever sent: an SP that waited for it would never answer (a socket timeout here).
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.putrequest("POST", parts.path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(10 * 1024 * 1024))
        conn.endheaders()
        r = conn.getresponse()
        assert r.status == 413 and r.getheader("X-SAML-Reason") == "message-too-large"
        r.read()
    finally:
        conn.close()


def test_oversized_body_sent_whole(live: Live) -> None:
    r = requests.post(live.world.sp_config.acs_url, data={"SAMLResponse": "A" * (10 * 1024 * 1024)}, timeout=60)
    assert r.status_code == 413 and r.headers["X-SAML-Reason"] == "message-too-large"


def test_concurrent_logins(live: Live) -> None:
    """Eight browsers at once on the threaded servers: every login lands, each on its own session."""
    results: list[str] = []
    errors: list[BaseException] = []

    def one(user: str) -> None:
        b = ScriptedBrowser()
        try:
            page = b.http.get(f"{live.sp_url}/fo/login.php", params={"idm_key": "1001"}, timeout=10)
            home = b.post_saml(b.submit(page, "/login", username=user, password=f"{user}-pw"))
            assert home.status_code == 200
            results.append(b.http.get(f"{live.sp_url}/whoami", timeout=10).json()["login"])
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            b.close()

    users = ["alice", "dave"] * 4
    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert sorted(results) == sorted(users)
