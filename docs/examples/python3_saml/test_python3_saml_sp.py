"""Integration tests of an SP built on python3-saml, against the saml-harness mock IdP.

The SP (`MySP`) stands for your application; the tests use the saml-harness pytest plugin's
`saml_harness` fixture: a mock IdP on a free port, a user added during a test, the IdP's
signing choices changed, an attack scenario armed for the next Response, a login driven by
the scripted browser. Run: `pip install saml-harness python3-saml` then `pytest` here.
"""

from __future__ import annotations

import json

import pytest
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from werkzeug.wrappers import Request, Response

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


class MySP:
    """A minimal python3-saml SP: /login, /acs (answers the user as JSON), /metadata."""

    def __init__(self, idp_metadata: str):
        self.idp = OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata)["idp"]
        self.base = ""
        self.request_id: str | None = None

    @property
    def entity_id(self) -> str:
        return self.base + "/metadata"

    def settings(self) -> dict:
        return {
            "strict": True,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {"url": self.base + "/acs", "binding": POST},
                "NameIDFormat": EMAIL,
            },
            "idp": self.idp,
            "security": {"wantAssertionsSigned": True, "requestedAuthnContext": False},
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        auth = OneLogin_Saml2_Auth(
            {
                "https": "off",
                "http_host": request.host,  # with the port, as python3-saml wants
                "script_name": request.path,
                "get_data": request.args.to_dict(),
                "post_data": request.form.to_dict(),
            },
            self.settings(),
        )
        if request.path == "/login":
            response = Response(status=302, headers={"Location": auth.login()})
            self.request_id = auth.get_last_request_id()
        elif request.path == "/acs":
            auth.process_response(request_id=self.request_id)
            if auth.get_errors() or not auth.is_authenticated():
                body = {"errors": auth.get_errors(), "reason": auth.get_last_error_reason()}
                response = Response(json.dumps(body), status=403, mimetype="application/json")
            else:
                body = {"nameid": auth.get_nameid(), "attributes": auth.get_attributes()}
                response = Response(json.dumps(body), mimetype="application/json")
        elif request.path == "/metadata":
            response = Response(auth.get_settings().get_sp_metadata(), mimetype="application/samlmetadata+xml")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)


@pytest.fixture
def sp(saml_harness):
    """The SP under test, served beside the mock IdP, which trusts it from its metadata."""
    app = MySP(saml_harness.idp_metadata)
    app.base = saml_harness.serve(app)
    saml_harness.control.register_sp(metadata_url=app.entity_id)
    return app


def test_a_login_gives_the_user_and_attributes(saml_harness, sp):
    login = saml_harness.login(sp.base + "/login", "alice")
    assert login.status == 200, login.text
    user = json.loads(login.text)
    assert user["nameid"] == "alice@demo-corp.example"  # the SP's metadata asks for an email NameID
    assert user["attributes"]["groups"] == ["secops", "managers"]


def test_a_user_added_during_the_test_can_sign_in(saml_harness, sp):
    saml_harness.control.put_user("newhire", "s3cret!", email="newhire@demo-corp.example", groups=["interns"])
    user = json.loads(saml_harness.login(sp.base + "/login", "newhire").text)
    assert user["attributes"]["groups"] == ["interns"]


def test_the_sp_insists_on_a_signed_assertion(saml_harness, sp):
    saml_harness.control.configure_sp(sp.entity_id, sign="response")
    login = saml_harness.login(sp.base + "/login", "alice")
    assert login.status == 403


@pytest.mark.parametrize("attack", ["signature-removed-all", "tampered-nameid", "xsw3", "wrong-audience"])
def test_the_sp_refuses_a_forged_response(saml_harness, sp, attack):
    saml_harness.control.arm(sp.entity_id, attack)
    login = saml_harness.login(sp.base + "/login", "alice")
    assert login.status == 403, f"the SP accepted {attack}: {login.text}"
