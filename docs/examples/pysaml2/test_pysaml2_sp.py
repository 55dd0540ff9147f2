"""Integration tests of an SP built on pysaml2, against the saml-harness mock IdP.

The SP (`MySP`) stands for your application (stock pysaml2 with the `xmlsec1` program); the
tests use the saml-harness pytest plugin's `saml_harness` fixture. Run: `pip install
saml-harness` (pysaml2 comes with it), have `xmlsec1` installed, then `pytest` here.
"""

from __future__ import annotations

import json

import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from werkzeug.wrappers import Request, Response


class MySP:
    """A minimal pysaml2 SP: /login, /acs (answers the user as JSON), /metadata."""

    def __init__(self, idp_metadata: str, base: str):
        self.base = base
        self.entity_id = base + "/metadata"
        self.config = SPConfig().load(
            {
                "entityid": self.entity_id,
                "service": {
                    "sp": {
                        "endpoints": {"assertion_consumer_service": [(base + "/acs", BINDING_HTTP_POST)]},
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "want_assertions_signed": True,
                        "want_response_signed": False,
                        "allow_unsolicited": False,
                    }
                },
                "metadata": {"inline": [idp_metadata]},
                "allow_unknown_attributes": True,
            }
        )
        self.client = Saml2Client(config=self.config)
        self.outstanding: dict[str, str] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/login":
            request_id, info = self.client.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
            self.outstanding[request_id] = "/"
            response = Response(status=302, headers=dict(info["headers"]))
        elif request.path == "/acs":
            try:
                result = self.client.parse_authn_request_response(
                    request.form.get("SAMLResponse", ""), BINDING_HTTP_POST, outstanding=self.outstanding
                )
                if result is None:
                    raise ValueError("no response")
                body = {"nameid": result.name_id.text, "attributes": result.ava}
                response = Response(json.dumps(body), mimetype="application/json")
            except Exception as err:  # pysaml2 refuses with many exception types
                response = Response(json.dumps({"error": repr(err)}), status=403, mimetype="application/json")
        elif request.path == "/metadata":
            response = Response(str(entity_descriptor(self.config)), mimetype="application/samlmetadata+xml")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)


class _Late:
    """The SP is made once its URL is known (pysaml2 wants it in the configuration)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def sp(saml_harness):
    """The SP under test, served beside the mock IdP, which trusts it from its metadata."""
    slot = _Late()
    slot.app = MySP(saml_harness.idp_metadata, saml_harness.serve(slot))
    saml_harness.control.register_sp(metadata_url=slot.app.entity_id)
    return slot.app


def test_a_login_gives_the_user_and_attributes(saml_harness, sp):
    login = saml_harness.login(sp.base + "/login", "bob")
    assert login.status == 200, login.text
    user = json.loads(login.text)
    assert user["nameid"] == "bob@demo-corp.example"
    assert user["attributes"]["mail"] == ["bob@demo-corp.example"]


def test_a_changed_attribute_arrives_at_the_next_login(saml_harness, sp):
    saml_harness.control.change_user("bob", groups=["auditors"])
    user = json.loads(saml_harness.login(sp.base + "/login", "bob").text)
    assert user["attributes"]["groups"] == ["auditors"]


@pytest.mark.parametrize("attack", ["signature-removed-all", "tampered-attribute", "xsw1", "expired"])
def test_the_sp_refuses_a_forged_response(saml_harness, sp, attack):
    saml_harness.control.arm(sp.entity_id, attack)
    login = saml_harness.login(sp.base + "/login", "bob")
    assert login.status == 403, f"the SP accepted {attack}: {login.text}"
