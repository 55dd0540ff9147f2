"""Interop with independent SAML implementations from PyPI, each started by the test on loopback.

- python3-saml (OneLogin), in strict mode, as an SP: it reads the mock IdP's metadata with its own
  parser, the mock IdP learns the SP from the SP's metadata (harness.core.external_sp), and a
  browser signs in SP-initiated and IdP-initiated.
- flask-saml2 as an IdP (its own XML templates and signing code): the embedded SP trusts it from
  its metadata URL through the questionnaire and onboarding, and the onboarding checklist passes
  in interactive mode with a browser the harness does not drive.
- pysaml2's own Response builder (Server.create_authn_response), IdP-initiated, into the SP's ACS.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from saml_helpers import onboard_pysaml2_idp
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.certs import make_keypair
from harness.core.checklist import format_report, run_interactive
from harness.core.external_sp import add_external_sp
from harness.core.onboarding import onboard
from harness.core.questionnaire import Questionnaire, sp_side
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from sp.model import Account

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # flask-saml2 imports defusedxml.lxml, which is deprecated
    from flask import Flask, abort, redirect, session, url_for
    from flask import request as flask_request
    from flask_saml2.idp import IdentityProvider, SPHandler
    from flask_saml2.signing import RsaSha256Signer, Sha256Digester
    from flask_saml2.utils import certificate_from_string, private_key_from_string
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

pytestmark = pytest.mark.usefixtures("no_process_spawned")


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Loopback:
    base: str
    stop: Callable[[], None]


def serve(app: Callable) -> Loopback:
    srv = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()

    def stop() -> None:
        srv.shutdown()
        srv.server_close()
        t.join(5)

    return Loopback(f"http://127.0.0.1:{srv.server_port}", stop)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


# -- python3-saml as the SP ---------------------------------------------------------------------


class OneLoginSP:
    """A minimal python3-saml SP: /metadata, /login (SP-initiated), /acs (strict validation)."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self.request_ids: list[str] = []
        self.results: list[dict] = []

    def _request_data(self, req: Request) -> dict:
        # python3-saml checks Destination/Recipient against this: the port goes inside http_host.
        return {
            "https": "off",
            "http_host": req.host,
            "script_name": req.path,
            "get_data": dict(req.args),
            "post_data": dict(req.form),
        }

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        req = Request(environ)
        if req.path == "/metadata":
            xml = OneLogin_Saml2_Settings(self.settings, sp_validation_only=True).get_sp_metadata()
            resp = Response(xml, mimetype="application/samlmetadata+xml")
        elif req.path == "/login":
            auth = OneLogin_Saml2_Auth(self._request_data(req), self.settings)
            location = auth.login()
            self.request_ids.append(auth.get_last_request_id())
            resp = Response(status=302, headers={"Location": location})
        elif req.path == "/acs":
            auth = OneLogin_Saml2_Auth(self._request_data(req), self.settings)
            solicited = req.args.get("unsolicited") is None and self.request_ids
            auth.process_response(request_id=self.request_ids[-1] if solicited else None)
            body = {
                "authenticated": auth.is_authenticated(),
                "errors": auth.get_errors(),
                "reason": auth.get_last_error_reason(),
                "nameid": auth.get_nameid(),
                "attributes": auth.get_attributes(),
            }
            self.results.append(body)
            resp = Response(json.dumps(body), status=200 if body["authenticated"] else 403, mimetype="application/json")
        else:
            resp = Response("not found", status=404)
        return resp(environ, start_response)


@pytest.fixture
def onelogin(ws: Workspace) -> Iterator[tuple[OneLoginSP, Loopback, Servers]]:
    sp = OneLoginSP()
    box = serve(sp)
    servers = Servers(ws, sp_port=0, idp_port=0).start()
    idp_md = requests.get(servers.idp_base + "/metadata", timeout=10).text
    idp = OneLogin_Saml2_IdPMetadataParser.parse(idp_md)["idp"]  # python3-saml reads the mock IdP's metadata
    sp.settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": box.base + "/metadata",
            "assertionConsumerService": {
                "url": box.base + "/acs",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        },
        "idp": idp,
        "security": {"wantAssertionsSigned": True, "wantMessagesSigned": True, "rejectDeprecatedAlgorithm": True},
    }
    # the mock IdP learns the SP from the SP's own metadata
    settings = add_external_sp(ws, box.base + "/metadata", name="python3-saml")
    servers.reload()
    assert (settings.acs_url, settings.nameid_format) == (box.base + "/acs", "emailAddress")
    yield sp, box, servers
    servers.stop()
    box.stop()


def test_python3_saml_strict_sp_accepts_the_mock_idps_response_sp_initiated(onelogin) -> None:
    sp, box, servers = onelogin
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    page = browser.get(box.base + "/login")
    browser.close()
    body = json.loads(page.text)
    assert page.status == 200 and body["authenticated"], body
    assert body["errors"] == [] and body["nameid"] == "alice@demo-corp.example"
    assert body["attributes"]["groups"] == ["secops", "managers"]


def test_python3_saml_accepts_an_idp_initiated_response_with_totp(onelogin) -> None:
    sp, box, servers = onelogin
    browser = ScriptedBrowser(Credentials("frank", "frank123", totp_secret=servers.workspace.user("frank").totp_secret))
    page = browser.get(servers.idp_start_url(box.base + "/metadata", "frank"))
    browser.close()
    body = json.loads(page.text)
    assert body["authenticated"] and body["nameid"] == "frank@demo-corp.example", body


def test_python3_saml_refuses_a_response_signed_by_another_key(onelogin, ws: Workspace) -> None:
    """The same strict SP says no when the mock IdP signs with a key python3-saml does not trust."""
    sp, box, servers = onelogin
    settings = next(s for s in ws.idp_for_sps() if s.name == "python3-saml")
    ws.save_idp_for_sp(replace(settings, signing_key="idp-old"))
    servers.reload()
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    page = browser.get(box.base + "/login")
    browser.close()
    body = json.loads(page.text)
    assert page.status == 403 and not body["authenticated"] and body["errors"]


# -- flask-saml2 as the IdP ---------------------------------------------------------------------


class _User:
    def __init__(self, username: str) -> None:
        self.username = username
        self.email = f"{username}@flask-idp.test"


class FlaskIdP(IdentityProvider):
    idp_signer_class = RsaSha256Signer  # its default is RSA-SHA1, which the SP refuses
    idp_digester_class = Sha256Digester

    def login_required(self) -> None:
        if not self.is_user_logged_in():
            abort(redirect(url_for("login", next=flask_request.url)))

    def is_user_logged_in(self) -> bool:
        return "user" in session

    def logout(self) -> None:
        session.pop("user", None)

    def get_current_user(self) -> _User:
        return _User(session["user"])

    def get_user_nameid(self, user: _User, attribute: str) -> str:
        return user.username


class UnspecifiedNameID(SPHandler):
    subject_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


def flask_idp(key_pem: bytes, cert_pem: bytes, users: dict[str, str]) -> Flask:
    app = Flask("flask_idp")
    app.secret_key = "interop-test"
    app.register_blueprint(FlaskIdP().create_blueprint(), url_prefix="/saml/")
    app.config["SAML2_IDP"] = {
        "autosubmit": True,
        "certificate": certificate_from_string(cert_pem.decode()),
        "private_key": private_key_from_string(key_pem.decode()),
    }
    app.config["SAML2_SERVICE_PROVIDERS"] = []

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if flask_request.method == "POST":
            name = flask_request.form.get("username", "")
            if users.get(name) == flask_request.form.get("password"):
                session["user"] = name
                return redirect(flask_request.args.get("next") or "/")
            return "wrong username or password", 401
        return '<form method="post"><input name="username"><input type="password" name="password"></form>'

    @app.route("/")
    def home() -> str:
        return "corporate home page"

    return app


def test_the_sp_trusts_flask_saml2_from_its_metadata_and_the_checklist_passes(ws: Workspace) -> None:
    kp = make_keypair("flask-idp.test")
    app = flask_idp(kp.key_pem, kp.cert_pem, {"jane": "jane-pw"})
    box = serve(app)
    try:
        with Servers(ws, sp_port=0, idp_port=0) as servers:
            # the customer's IdP publishes metadata; the questionnaire is filled from its URL
            q = Questionnaire.from_metadata(
                box.base + "/saml/metadata.xml", subscription="flask_mgr", exit_url=box.base + "/"
            )
            assert q.idp_sso_url == box.base + "/saml/login/" and q.validate() == []
            # Its metadata names an SLO URL, but flask-saml2 logs out there without answering a
            # LogoutResponse (its SLO is "partially complete"): this test is about SSO, so no SLO.
            assert q.idp_slo_url.startswith(box.base + "/saml/logout")
            q.idp_slo_url = ""
            sub = onboard(ws, q, name="Flask Corp", sp_base=servers.sp_base).subscription
            ws.save_subscription(replace(sub, accounts=[*sub.accounts, Account("jane", saml_enabled=True)]))
            servers.reload()
            # the IdP administrator configures the SP from the SP's side of the exchange
            side = sp_side(ws, sp_base=servers.sp_base, idm_key=sub.idm_key)
            app.config["SAML2_SERVICE_PROVIDERS"] = [
                {
                    "CLASS": f"{__name__}.UnspecifiedNameID",
                    "OPTIONS": {"entity_id": side.entity_id, "acs_url": side.acs_url},
                }
            ]

            def person(url: str) -> None:  # a browser the harness does not drive
                def go() -> None:
                    b = ScriptedBrowser(Credentials("jane", "jane-pw"))
                    b.get(url)
                    b.navigate(servers.sp_base + "/fo/logout.php")
                    b.close()

                threading.Thread(target=go, daemon=True).start()

            report = run_interactive(servers, idm_key=sub.idm_key, timeout=20, logout_timeout=10, opener=person)
    finally:
        box.stop()
    assert report.passed, format_report(report)
    assert report.account == "jane" and report.identity == "jane"
    assert "outside the harness" in report.step("idp-auth").reason
    acs = next(s for s in report.trace.steps if s.message and s.message.summary.kind == "Response")
    assert acs.message.summary.issuer == box.base + "/saml/metadata.xml"
    assert all(sig.value_ok for sig in acs.message.signatures) and len(acs.message.signatures) == 2


def test_the_sp_refuses_flask_saml2_signing_with_sha1(ws: Workspace) -> None:
    """flask-saml2's default is RSA-SHA1; the SP refuses it and the checklist says to fix the IdP."""
    kp = make_keypair("flask-idp.test")
    app = flask_idp(kp.key_pem, kp.cert_pem, {"jane": "jane-pw"})
    FlaskIdP.idp_signer_class, FlaskIdP.idp_digester_class = _sha1()
    box = serve(app)
    try:
        with Servers(ws, sp_port=0, idp_port=0) as servers:
            q = Questionnaire.from_metadata(box.base + "/saml/metadata.xml", subscription="flask_mgr")
            sub = onboard(ws, q, sp_base=servers.sp_base).subscription
            ws.save_subscription(replace(sub, accounts=[*sub.accounts, Account("jane", saml_enabled=True)]))
            servers.reload()
            app.config["SAML2_SERVICE_PROVIDERS"] = [
                {
                    "CLASS": f"{__name__}.UnspecifiedNameID",
                    "OPTIONS": {"entity_id": servers.sp_app.config.entity_id, "acs_url": servers.sp_app.config.acs_url},
                }
            ]

            def person(url: str) -> None:
                def go() -> None:
                    b = ScriptedBrowser(Credentials("jane", "jane-pw"))
                    b.get(url)
                    b.close()

                threading.Thread(target=go, daemon=True).start()

            report = run_interactive(servers, idm_key=sub.idm_key, account="jane", timeout=20, opener=person)
    finally:
        FlaskIdP.idp_signer_class, FlaskIdP.idp_digester_class = RsaSha256Signer, Sha256Digester
        box.stop()
    f = report.first_failure
    assert (f.key, f.side) == ("session", "IdP") and "weak-algorithm" in f.reason
    assert "RSA-SHA256" in f.fix


def _sha1() -> tuple[type, type]:
    from flask_saml2.signing import RsaSha1Signer, Sha1Digester

    return RsaSha1Signer, Sha1Digester


# -- pysaml2's own Response builder ---------------------------------------------------------------


def test_the_sp_accepts_a_pysaml2_idp_initiated_response(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        acs, sp_entity = servers.sp_app.config.acs_url, servers.sp_app.config.entity_id
        idp, sub = onboard_pysaml2_idp(ws, servers)
        from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID

        response = idp.create_authn_response(
            {"uid": ["pat"]},
            in_response_to=None,
            destination=acs,
            sp_entity_id=sp_entity,
            name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text="pat"),
            sign_assertion=True,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        )
        import base64

        http = requests.Session()
        r = http.post(
            acs,
            data={"SAMLResponse": base64.b64encode(str(response).encode()).decode()},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303, (r.status_code, r.headers.get("X-SAML-Reason"))
        who = http.get(servers.sp_base + "/whoami", timeout=10).json()
        http.close()
    assert (who["login"], who["subscription"], who["via"]) == ("pat", sub.idm_key, "saml")
