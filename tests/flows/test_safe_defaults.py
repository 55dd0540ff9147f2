"""Safe defaults over real loopback HTTP: loopback binding, cookie flags, CSRF resistance, key modes."""

from __future__ import annotations

import os
import re
import warnings

import lxml.html
import pytest
import requests

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.certs import make_keypair
from harness.core.servers import Servers
from harness.core.workspace import Workspace

IDM_KEY = "4711"
API = "/api/2.0/fo/user/"
MANAGER = ("demo_mgr", "manager-api-pass")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    ws = Workspace.demo(tmp_path_factory.mktemp("safe") / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as s:
        yield s
    ws.close()


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    form = lxml.html.fromstring(html).forms[0]
    return form.action, dict(form.form_values())


def idp_login_form(s: Servers, client: requests.Session) -> dict[str, str]:
    """Open an IdP-initiated sign-in and return the login form's hidden fields."""
    r = client.get(s.idp_start_url(user="alice"), timeout=10)
    assert r.status_code == 200 and 'name="password"' in r.text
    return form_fields(r.text)[1]


# -- binding ---------------------------------------------------------------------------------


def test_servers_bind_loopback_by_default(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for loopback
        s = Servers(ws, sp_port=0, idp_port=0).start()
    try:
        assert s.host == "127.0.0.1"
        assert [srv.server_address[0] for srv in s._servers] == ["127.0.0.1", "127.0.0.1"]
        assert s.sp_base.startswith("http://127.0.0.1:") and s.idp_base.startswith("http://127.0.0.1:")
    finally:
        s.stop()
        ws.close()


def test_binding_elsewhere_warns(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    with pytest.warns(RuntimeWarning, match="reachable from other machines"):
        s = Servers(ws, host="0.0.0.0", sp_port=0, idp_port=0).start()
    try:
        assert s.sp_base.startswith("http://127.0.0.1:")  # the URLs a local browser uses stay on loopback
        assert requests.get(s.sp_base + "/whoami", timeout=10).status_code == 401
    finally:
        s.stop()
        ws.close()


def test_serve_command_defaults_to_loopback():
    from harness.core.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


# -- cookies ---------------------------------------------------------------------------------


def test_session_cookies_are_httponly_and_samesite(servers):
    b = ScriptedBrowser(Credentials("alice", "alice123"))
    b.get(servers.login_url(IDM_KEY))
    jar = {c.name: c for c in b.session.cookies}
    for name in ("sp_session", "sp_browser", "mockidp_session", "mockidp_csrf"):
        cookie = jar[name]
        assert cookie.has_nonstandard_attr("HttpOnly"), name
        assert cookie.get_nonstandard_attr("SameSite") in ("Lax", "Strict"), name
        assert cookie.path == "/"
    # The session cookie lives as long as the browser (no Max-Age) and only on plain http here.
    assert jar["sp_session"].expires is None and not jar["sp_session"].secure
    raw = [p.headers.get("Set-Cookie", "") for p in b.history if "sp_session=" in p.headers.get("Set-Cookie", "")]
    assert raw and re.search(r"sp_session=[^;]+;.*HttpOnly", raw[0]) and "SameSite=Lax" in raw[0]


# -- CSRF: the IdP's login form ---------------------------------------------------------------


def test_idp_login_refuses_a_post_without_the_csrf_cookie(servers):
    fields = idp_login_form(servers, requests.Session())
    fields.update(username="alice", password="alice123")
    cross_site = requests.Session()  # another browser: no csrf cookie, as on a cross-site POST
    r = cross_site.post(servers.idp_base + "/login", data=fields, timeout=10)
    assert r.status_code == 403 and r.headers["X-SAML-Reason"] == "csrf"
    assert "SAMLResponse" not in r.text and "mockidp_session" not in cross_site.cookies


def test_idp_login_refuses_a_wrong_or_missing_csrf_token(servers):
    client = requests.Session()
    fields = idp_login_form(servers, client)
    fields.update(username="alice", password="alice123")
    for token in ("forged", None):
        data = dict(fields, csrf=token) if token else {k: v for k, v in fields.items() if k != "csrf"}
        r = client.post(servers.idp_base + "/login", data=data, timeout=10)
        assert r.status_code == 403 and r.headers["X-SAML-Reason"] == "csrf", token
    # the same form, token and cookie together, signs in (the refusals did not burn it)
    r = client.post(servers.idp_base + "/login", data=fields, timeout=10)
    assert r.status_code == 200 and 'name="SAMLResponse"' in r.text


def test_idp_second_factor_refuses_a_post_without_the_csrf_cookie(servers):
    client = requests.Session()
    r = client.get(servers.idp_start_url(user="frank"), timeout=10)
    fields = form_fields(r.text)[1]
    fields.update(username="frank", password="frank123")
    r = client.post(servers.idp_base + "/login", data=fields, timeout=10)
    assert 'name="code"' in r.text
    mfa = form_fields(r.text)[1]
    mfa["code"] = "000000"
    r = requests.post(servers.idp_base + "/mfa", data=mfa, timeout=10)
    assert r.status_code == 403 and r.headers["X-SAML-Reason"] == "csrf"


# -- CSRF: the SP's account picker ------------------------------------------------------------


def picker(servers: Servers) -> tuple[requests.Session, str]:
    """Sign dave in up to the SP's account picker; return his browser and the picker's URL."""
    victim = requests.Session()
    r = victim.get(servers.login_url(IDM_KEY), timeout=10)
    fields = form_fields(r.text)[1]
    fields.update(username="dave", password="dave123")
    r = victim.post(servers.idp_base + "/login", data=fields, timeout=10)
    action, saml = form_fields(r.text)
    r = victim.post(action, data=saml, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].startswith("/fo/pick?t=")
    return victim, servers.sp_base + r.headers["Location"]


def test_account_picker_refuses_a_choice_from_another_browser(servers):
    victim, url = picker(servers)
    token = url.split("t=", 1)[1]
    choice = {"t": token, "login": "demo_dd1"}
    # A cross-site POST carries no sp_browser cookie (SameSite=Lax): refused even with the right token.
    r = requests.post(servers.sp_base + "/fo/pick", data=choice, allow_redirects=False, timeout=10)
    assert r.status_code >= 400 and r.headers["X-SAML-Reason"] == "pick-expired"
    # An attacker's own browser cookie does not fit the victim's choice either.
    attacker, _ = picker(servers)
    r = attacker.post(servers.sp_base + "/fo/pick", data=choice, allow_redirects=False, timeout=10)
    assert r.status_code >= 400 and r.headers["X-SAML-Reason"] == "pick-expired"
    assert "sp_session" not in attacker.cookies
    # The victim's own choice still works, once.
    r = victim.post(servers.sp_base + "/fo/pick", data=choice, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and "sp_session" in victim.cookies
    r = victim.post(servers.sp_base + "/fo/pick", data=choice, allow_redirects=False, timeout=10)
    assert r.headers["X-SAML-Reason"] == "pick-expired"


def test_account_picker_refuses_an_account_not_offered(servers):
    victim, url = picker(servers)
    r = victim.post(
        servers.sp_base + "/fo/pick", data={"t": url.split("t=", 1)[1], "login": "alice"}, allow_redirects=False
    )
    assert r.status_code >= 400 and "sp_session" not in victim.cookies


# -- CSRF: the user API -----------------------------------------------------------------------


def test_api_write_needs_x_requested_with(servers):
    data = {"action": "edit", "login": "demo_dd2", "first_name": "Mallory"}
    r = requests.post(servers.sp_base + API, data=data, auth=MANAGER, timeout=10)
    assert r.status_code == 403 and r.headers["X-SAML-Reason"] == "csrf"
    assert (
        next(a for a in servers.sp_app.config.subscription(IDM_KEY).accounts if a.login == "demo_dd2").first_name
        != "Mallory"
    )
    r = requests.post(servers.sp_base + API, data=data, auth=MANAGER, headers={"X-Requested-With": "t"}, timeout=10)
    assert r.status_code == 200 and r.json()["account"]["first_name"] == "Mallory"


def test_api_never_takes_a_saml_session(servers):
    b = ScriptedBrowser(Credentials("alice", "alice123"))
    b.get(servers.login_url(IDM_KEY))
    assert b.session.cookies.get("sp_session")
    r = b.session.post(servers.sp_base + API, data={"action": "list"}, headers={"X-Requested-With": "t"}, timeout=10)
    assert r.status_code == 401 and r.headers["X-SAML-Reason"] == "api-saml-session-refused"


def test_api_write_by_get_is_refused(servers):
    r = requests.get(servers.sp_base + API, params={"action": "deactivate", "login": "alice"}, auth=MANAGER, timeout=10)
    assert r.status_code == 405
    assert next(a for a in servers.sp_app.config.subscription(IDM_KEY).accounts if a.login == "alice").active


# -- key files --------------------------------------------------------------------------------


def test_private_keys_are_written_owner_only(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    try:
        for name in ws.keypair_names():
            assert (ws.keys_dir / f"{name}.key.pem").stat().st_mode & 0o777 == 0o600, name
        old = os.umask(0)  # even with a permissive umask
        try:
            ws.save_keypair("fresh", make_keypair("fresh", kind="ec"))
        finally:
            os.umask(old)
        assert (ws.keys_dir / "fresh.key.pem").stat().st_mode & 0o777 == 0o600
        assert (ws.keys_dir / "fresh.crt.pem").stat().st_mode & 0o777 == 0o600  # every workspace file
        assert oct((ws.keys_dir / "fresh.key.pem").stat().st_mode & 0o077) == "0o0"
    finally:
        ws.close()


def test_a_silent_client_is_dropped_and_others_are_served(demo):
    """Slowloris: a connection that sends half a request is closed after the request timeout."""
    import socket
    from urllib.parse import urlsplit

    import requests

    from harness.core.servers import Servers

    with Servers(demo, sp_port=0, idp_port=0, request_timeout=0.5) as s:
        port = urlsplit(s.sp_base).port
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST /IdM/saml2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nSAMLRe")
        assert requests.get(s.sp_base + "/whoami", timeout=5).status_code == 401
        # Only a hang fails: the server's own 0.5 s timeout ends the connection (EOF or an
        # answer); our generous 60 s would raise socket.timeout if it never did.
        slow.settimeout(60)
        data = slow.recv(65536)
        while data and b"\r\n\r\n" not in data:
            more = slow.recv(65536)
            if not more:
                break
            data += more
        assert data == b"" or not data.startswith(b"HTTP/1.1 5"), data[:60]
        slow.close()
