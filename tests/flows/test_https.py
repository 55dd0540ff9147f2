"""Both sides over HTTPS on loopback: real TLS with the workspace's local CA, verified by the
scripted browser; Secure cookies (SameSite=None for the SP's browser cookie, so no same-site
bounce is needed); https everywhere in metadata; transport garbage still a 4xx with a reason."""

from __future__ import annotations

import json
import socket
import ssl
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from harness.core.browser import BrowserError, Credentials, ScriptedBrowser
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from sp.app import BOUNCE_HEADER

IDM_KEY = "4711"


@pytest.fixture(scope="module", params=["idp-in-process", "idp-process"])
def servers(request, tmp_path_factory):
    """Both sides in this process, and the mock IdP in its own (as `serve` runs it, TLS there too)."""
    ws = Workspace.demo(tmp_path_factory.mktemp("https") / "ws")
    with Servers(ws, sp_port=0, idp_port=0, https=True, idp_process=request.param == "idp-process") as s:
        yield s
    ws.close()


def browser(s: Servers, username: str = "alice") -> ScriptedBrowser:
    user = s.workspace.user(username)
    return ScriptedBrowser(Credentials(username, user.password, user.totp_secret), ca_file=s.ca_file, timeout=10)


def whoami(b: ScriptedBrowser, s: Servers) -> str | None:
    return json.loads(b.get(s.sp_base + "/whoami").text).get("login")


def test_both_sides_serve_https_with_the_workspace_ca(servers: Servers) -> None:
    assert servers.sp_base.startswith("https://127.0.0.1:") and servers.idp_base.startswith("https://127.0.0.1:")
    ctx = ssl.create_default_context(cafile=servers.ca_file)
    for base in (servers.sp_base, servers.idp_base):
        url = urlsplit(base)
        with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=url.hostname) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert servers.sp_app.config.acs_url.startswith("https://")
    assert servers.idp_app.config.sso_url.startswith("https://")


def test_sp_initiated_login_over_https(servers: Servers) -> None:
    b = browser(servers)
    try:
        page = b.get(servers.login_url(IDM_KEY))
        assert page.status == 200 and page.url == servers.sp_base + "/home"
        assert [urlsplit(p.url).scheme for p in b.history] == ["https"] * len(b.history)
        assert not any(p.headers.get(BOUNCE_HEADER) for p in b.history)  # the browser cookie came along
        assert whoami(b, servers) == "alice"
        jar = {c.name: c for c in b.session.cookies}
        assert all(c.secure for c in jar.values()), [c.name for c in jar.values() if not c.secure]
        assert jar["sp_browser"].get_nonstandard_attr("SameSite") == "None"
        assert jar["sp_session"].get_nonstandard_attr("SameSite") == "Lax"
    finally:
        b.close()


def test_idp_initiated_login_over_https(servers: Servers) -> None:
    b = browser(servers, "frank")  # with a TOTP second factor
    try:
        page = b.get(servers.idp_start_url(user="frank"))
        assert page.status == 200 and page.url.startswith(servers.sp_base)
        assert whoami(b, servers) == "frank"
    finally:
        b.close()


def test_metadata_names_https_endpoints(servers: Servers) -> None:
    for url in (servers.sp_base + f"/metadata?idm_key={IDM_KEY}", servers.idp_base + "/metadata"):
        r = requests.get(url, verify=servers.ca_file, timeout=10)
        assert r.status_code == 200
        locations = etree.fromstring(r.content).xpath("//@Location")
        assert locations and all(loc.startswith("https://127.0.0.1:") for loc in locations), locations


def test_a_client_without_the_ca_refuses_the_servers(servers: Servers) -> None:
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(servers.sp_base + "/whoami", timeout=10)  # the system's CAs only
    b = ScriptedBrowser(Credentials("alice", "alice123"), ca_file=certifi_bundle(), timeout=10)
    try:
        with pytest.raises(BrowserError, match="CERTIFICATE_VERIFY_FAILED"):
            b.get(servers.login_url(IDM_KEY))
    finally:
        b.close()


def certifi_bundle() -> str:
    import certifi

    return certifi.where()


def test_the_harness_own_browsers_trust_its_servers_ca(servers: Servers) -> None:
    """flow, load, the checklist and the app make their browsers without a CA: the servers'
    CA is trusted for loopback hosts in this process, by the scripted browser and its session."""
    from harness.core.load import run_load

    result = run_load(servers, kind="sp", idm_key=IDM_KEY, users=["alice", "bob"], repeat=6, concurrency=3)
    assert result.ok and len(result.logins) == 6, result.report()
    assert all(x.login == x.expected for x in result.logins)
    b = ScriptedBrowser(timeout=10)
    try:
        r = b.session.get(servers.sp_base + "/whoami", timeout=10)  # requests, verified with that CA
        assert r.status_code == 401
    finally:
        b.close()


def test_plain_http_to_the_https_port_is_a_4xx_with_a_reason(servers: Servers) -> None:
    url = urlsplit(servers.sp_base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(b"GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 400 "), lines[0]
    assert b"X-SAML-Reason: bad-request" in lines
    assert b"Content-Length: %d" % len(body) in lines and b"https://" in body


def test_a_silent_tls_client_does_not_stall_the_others(servers: Servers) -> None:
    """cheroot shook hands in its accept loop: one silent client held every new connection; and
    it gave each new connection a worker at once: 20 silent ones held all 16 workers."""
    url = urlsplit(servers.sp_base)
    silent = [socket.create_connection((url.hostname, url.port), timeout=10) for _ in range(20)]
    try:
        r = requests.get(servers.sp_base + "/whoami", verify=servers.ca_file, timeout=20)
        assert r.status_code == 401
    finally:
        for s in silent:
            s.close()


def test_the_ca_survives_a_restart_and_the_setting_is_the_workspaces(tmp_path) -> None:
    from dataclasses import replace

    ws = Workspace.demo(tmp_path / "ws")
    try:
        ws.set_sp_profile(replace(ws.sp_profile(), https=True))
        with Servers(ws, sp_port=0, idp_port=0) as first:
            assert first.sp_base.startswith("https://")
            ca = (ws.tls_dir / "local-ca.crt.pem").read_bytes()
        with Servers(ws, sp_port=0, idp_port=0) as again:
            assert (ws.tls_dir / "local-ca.crt.pem").read_bytes() == ca  # trusted once, trusted still
            b = browser(again)
            try:
                assert b.get(again.login_url(IDM_KEY)).url == again.sp_base + "/home"
            finally:
                b.close()
        with Servers(ws, sp_port=0, idp_port=0, https=False) as plain:
            assert plain.sp_base.startswith("http://") and plain.ca_file is None
    finally:
        ws.close()


def test_the_attack_battery_holds_over_https(tmp_path) -> None:
    """The battery's own browsers and its direct posts go over TLS to the embedded SP."""
    from dataclasses import replace

    from harness.core.battery import run_embedded
    from mock_idp.scenarios import CATALOGUE

    ws = Workspace.demo(tmp_path / "ws")
    try:
        ws.set_sp_profile(replace(ws.sp_profile(), https=True))
        chosen = [s for s in CATALOGUE if s.name in ("signature-removed-assertion", "tampered-nameid")]
        report = run_embedded(ws, scenarios=chosen)
        assert len(report.results) >= 2 and not [r for r in report.results if r.bad]
        assert {r.verdict for r in report.results} == {"refused", "accepted"}  # the attacks, the control login
    finally:
        ws.close()


def test_a_read_only_workspace_is_not_written(tmp_path) -> None:
    """`flow` opens the workspace read-only: with no CA there yet it serves with a throwaway one."""
    from dataclasses import replace

    ws = Workspace.demo(tmp_path / "ws")
    ws.set_sp_profile(replace(ws.sp_profile(), https=True))
    ws.close()
    ro = Workspace(tmp_path / "ws", read_only=True)
    try:
        with Servers(ro, sp_port=0, idp_port=0) as s:
            assert s.sp_base.startswith("https://") and not ro.tls_dir.exists()
            b = browser(s)
            try:
                assert b.get(s.login_url(IDM_KEY)).url == s.sp_base + "/home"
            finally:
                b.close()
    finally:
        ro.close()
