"""Interop for Single Logout and signed AuthnRequests: python3-saml (OneLogin), strict, as an SP.

It signs its AuthnRequests and LogoutRequests/Responses and wants every message signed; the mock
IdP learns all of that from its metadata (harness.core.external_sp). A scripted browser signs in
and logs out SP-initiated, and the mock IdP's IdP-initiated logout logs the user out of both
python3-saml and the embedded SP, one after the other.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.certs import make_keypair
from harness.core.external_sp import add_external_sp
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from samlkit.metadata_xml import cert_b64

pytestmark = pytest.mark.usefixtures("no_process_spawned")


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SigningOneLoginSP:
    """python3-saml SP: /metadata, /login, /acs, /logout (SP-initiated SLO), /sls (its SLO endpoint)."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self.pending: list[str] = []  # AuthnRequest / LogoutRequest IDs it sent
        self.session: dict[str, Any] = {}  # nameid + session index of the one local session

    def _data(self, req: Request) -> dict:
        return {
            "https": "off",
            "http_host": req.host,  # the port inside http_host, as python3-saml wants it
            "script_name": req.path,
            "get_data": dict(req.args),
            "post_data": dict(req.form),
            "query_string": req.query_string.decode("latin-1"),
        }

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        req = Request(environ)
        auth = OneLogin_Saml2_Auth(self._data(req), self.settings) if req.path != "/metadata" else None
        if req.path == "/metadata":
            xml = OneLogin_Saml2_Settings(self.settings, sp_validation_only=True).get_sp_metadata()
            resp = Response(xml, mimetype="application/samlmetadata+xml")
        elif req.path == "/login":
            resp = Response(status=302, headers={"Location": auth.login()})
            self.pending.append(auth.get_last_request_id())
        elif req.path == "/acs":
            auth.process_response(request_id=self.pending[-1] if self.pending else None)
            ok = auth.is_authenticated()
            if ok:
                self.session = {
                    "nameid": auth.get_nameid(),
                    "index": auth.get_session_index(),
                    "format": auth.get_nameid_format(),
                }
            resp = self._json(
                {"authenticated": ok, "errors": auth.get_errors(), "reason": auth.get_last_error_reason()},
                200 if ok else 403,
            )
        elif req.path == "/logout":
            url = auth.logout(
                name_id=self.session.get("nameid"),
                session_index=self.session.get("index"),
                name_id_format=self.session.get("format"),
            )
            self.pending.append(auth.get_last_request_id())
            resp = Response(status=302, headers={"Location": url})
        elif req.path == "/sls":
            url = auth.process_slo(
                request_id=self.pending[-1] if self.pending else None, delete_session_cb=self.session.clear
            )
            errors = auth.get_errors()
            if url and not errors:
                resp = Response(status=302, headers={"Location": url})
            else:
                resp = self._json(
                    {
                        "logged_out": not errors and not self.session,
                        "errors": errors,
                        "reason": auth.get_last_error_reason(),
                    },
                    200 if not errors else 403,
                )
        else:
            resp = Response("not found", status=404)
        return resp(environ, start_response)

    @staticmethod
    def _json(body: dict, status: int) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")


@pytest.fixture
def world(tmp_path) -> Iterator[tuple[SigningOneLoginSP, str, Servers]]:
    ws = Workspace.demo(tmp_path / "ws")
    sp = SigningOneLoginSP()
    srv = make_server("127.0.0.1", 0, sp, threaded=True, request_handler=_Quiet)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_port}"
    servers = Servers(ws, sp_port=0, idp_port=0).start()
    idp = OneLogin_Saml2_IdPMetadataParser.parse(requests.get(servers.idp_base + "/metadata", timeout=10).text)["idp"]
    kp = make_keypair("python3-saml sp")
    sp.settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": base + "/metadata",
            "assertionConsumerService": {
                "url": base + "/acs",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "singleLogoutService": {
                "url": base + "/sls",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "x509cert": cert_b64(kp.cert_pem),
            "privateKey": kp.key_pem.decode(),
        },
        "idp": idp,
        "security": {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantMessagesSigned": True,
            "wantAssertionsSigned": True,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        },
    }
    assert idp["singleLogoutService"]["url"] == servers.idp_base + "/slo"  # read from the mock IdP's metadata
    settings = add_external_sp(ws, base + "/metadata", name="python3-saml")
    servers.reload()
    assert settings.want_authn_requests_signed and settings.slo_url == base + "/sls" and settings.sp_certificate
    yield sp, base, servers
    servers.stop()
    srv.shutdown()
    srv.server_close()
    thread.join(5)
    ws.close()


def _login(browser: ScriptedBrowser, base: str) -> dict:
    page = browser.get(base + "/login")
    body = json.loads(page.text)
    assert page.status == 200 and body["authenticated"], body
    return body


def test_python3_saml_signs_its_authn_request_and_logs_out_sp_initiated(world) -> None:
    sp, base, servers = world
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    _login(browser, base)
    assert servers.idp_app.sessions.count() == 1
    page = browser.get(base + "/logout")
    body = json.loads(page.text)
    assert page.status == 200 and body["logged_out"], body
    assert servers.idp_app.sessions.count() == 0
    browser.close()


def test_an_unsigned_authn_request_from_python3_saml_is_refused_with_a_status_it_reads(world) -> None:
    sp, base, servers = world
    sp.settings["security"]["authnRequestsSigned"] = False
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    page = browser.get(base + "/login")
    body = json.loads(page.text)
    assert page.status == 403 and not body["authenticated"]
    assert "was Requester" in body["reason"] and "the AuthnRequest is not signed" in body["reason"], body
    browser.close()


def test_the_mock_idp_logs_out_python3_saml_and_the_embedded_sp_in_one_logout(world) -> None:
    sp, base, servers = world
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    _login(browser, base)
    browser.get(servers.login_url("4711"))  # the IdP session signs alice in to the embedded SP too
    assert json.loads(browser.get(servers.sp_base + "/whoami").text)["authenticated"]
    assert sp.session
    page = browser.navigate(servers.idp_base + "/logout")
    assert page.status == 200 and page.text.count("✔ logged out") == 2, page.text
    assert not sp.session  # python3-saml deleted its session on the verified LogoutRequest
    assert browser.get(servers.sp_base + "/whoami").status == 401
    assert servers.idp_app.sessions.count() == 0
    browser.close()


def test_an_sp_initiated_logout_at_the_embedded_sp_also_logs_out_python3_saml(world) -> None:
    """The IdP passes the embedded SP's logout on to python3-saml before it answers the embedded SP."""
    sp, base, servers = world
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    _login(browser, base)
    browser.get(servers.login_url("4711"))
    page = browser.navigate(servers.sp_base + "/fo/logout.php")
    assert page.url == servers.idp_base + "/"  # the demo subscription's exit URL, after the LogoutResponse
    assert not sp.session and servers.idp_app.sessions.count() == 0
    assert browser.get(servers.sp_base + "/whoami").status == 401
    sls = [p for p in browser.history if p.url.startswith(base + "/sls")]
    assert len(sls) == 1 and sls[0].status == 302  # python3-saml answered the IdP's LogoutRequest
    browser.close()
