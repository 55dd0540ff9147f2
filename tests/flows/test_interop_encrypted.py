"""Encrypted assertions with independent implementations, on loopback.

- python3-saml (strict, `wantAssertionsEncrypted`) as the SP: the mock IdP learns its encryption
  certificate from its metadata, signs then encrypts, and python3-saml decrypts and accepts.
- pysaml2's own IdP code and the `xmlsec1` program (not our encryptor) encrypt an Assertion that
  the embedded SP decrypts and accepts; pysaml2's stock `create_authn_response(encrypt_assertion=
  True)` uses Triple-DES, which the SP refuses by name.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from flows.test_interop import Loopback, OneLoginSP, serve
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from saml_helpers import onboard_pysaml2_idp
from werkzeug.wrappers import Response

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.certs import make_keypair
from harness.core.external_sp import add_external_sp
from harness.core.servers import Servers
from harness.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


class CarefulOneLoginSP(OneLoginSP):
    """python3-saml raises (xmlsec.Error, ValueError...) from its Response constructor on an
    undecryptable or malformed EncryptedAssertion: an app that lets it through answers 500. This one
    refuses with a 403, as a careful integrator would."""

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        try:
            return super().__call__(environ, start_response)
        except Exception as err:
            body = json.dumps({"authenticated": False, "errors": [type(err).__name__], "reason": str(err)})
            return Response(body, status=403, mimetype="application/json")(environ, start_response)


@pytest.fixture
def onelogin_encrypted(ws: Workspace) -> Iterator[tuple[OneLoginSP, Loopback, Servers]]:
    sp = CarefulOneLoginSP()
    box = serve(sp)
    servers = Servers(ws, sp_port=0, idp_port=0).start()
    idp = OneLogin_Saml2_IdPMetadataParser.parse(requests.get(servers.idp_base + "/metadata", timeout=10).text)["idp"]
    kp = make_keypair("python3-saml-sp.test")
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
            "x509cert": kp.cert_pem.decode(),
            "privateKey": kp.key_pem.decode(),
        },
        "idp": idp,
        "security": {
            "wantAssertionsSigned": True,
            "wantMessagesSigned": True,
            "wantAssertionsEncrypted": True,
            "rejectDeprecatedAlgorithm": True,
        },
    }
    settings = add_external_sp(ws, box.base + "/metadata", name="python3-saml")
    servers.reload()
    assert settings.encrypt_assertion and "BEGIN CERTIFICATE" in settings.encryption_cert
    yield sp, box, servers
    servers.stop()
    box.stop()


def _login(box: Loopback) -> tuple[int, dict]:
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    page = browser.get(box.base + "/login")
    browser.close()
    return page.status, json.loads(page.text)


@pytest.mark.parametrize(
    ("data_alg", "key_alg"),
    [("aes256-gcm", "rsa-oaep-mgf1p"), ("aes128-cbc", "rsa-oaep-mgf1p"), ("aes256-cbc", "rsa-1_5")],
)
def test_python3_saml_wanting_encrypted_assertions_accepts_the_mock_idps(onelogin_encrypted, ws, data_alg, key_alg):
    sp, box, servers = onelogin_encrypted
    settings = next(s for s in ws.idp_for_sps() if s.name == "python3-saml")
    ws.save_idp_for_sp(replace(settings, encryption_data_alg=data_alg, encryption_key_alg=key_alg))
    servers.reload()
    status, body = _login(box)
    assert status == 200 and body["authenticated"] and body["errors"] == [], body
    assert body["nameid"] == "alice@demo-corp.example" and body["attributes"]["groups"] == ["secops", "managers"]


def test_python3_saml_strict_refuses_xmlenc11_oaep_with_an_mgf(onelogin_encrypted, ws):
    """A finding, kept as a test: python3-saml's schemas lack xmlenc11, so in strict mode the
    xenc11:MGF child of an rsa-oaep (SHA-256) EncryptionMethod fails its schema check."""
    sp, box, servers = onelogin_encrypted
    settings = next(s for s in ws.idp_for_sps() if s.name == "python3-saml")
    ws.save_idp_for_sp(replace(settings, encryption_key_alg="rsa-oaep-sha256"))
    servers.reload()
    status, body = _login(box)
    assert status == 403 and "saml-schema-protocol-2.0.xsd" in body["reason"], body


def test_python3_saml_refuses_a_plain_assertion_when_it_wants_encryption(onelogin_encrypted, ws):
    """The control: the same strict SP says no when the mock IdP is told not to encrypt."""
    sp, box, servers = onelogin_encrypted
    settings = next(s for s in ws.idp_for_sps() if s.name == "python3-saml")
    ws.save_idp_for_sp(replace(settings, encrypt_assertion=False))
    servers.reload()
    status, body = _login(box)
    assert status == 403 and not body["authenticated"] and "encrypted" in (body["reason"] or "").lower(), body


# -- pysaml2's IdP code and xmlsec1 encrypt; the embedded SP decrypts ---------------------------


def _pysaml2_idp_response(ws: Workspace, servers: Servers, *, aes: bool) -> tuple[str, str]:
    """(SAMLResponse, idm_key): a pysaml2 IdP onboarded as a subscription, answering for 'pat'."""
    from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID
    from saml2.sigver import CryptoBackendXmlSec1

    acs, sp_entity = servers.sp_app.config.acs_url, servers.sp_app.config.entity_id
    idp, sub = onboard_pysaml2_idp(ws, servers)
    # pysaml2's stock crypto: the xmlsec1 program signs and encrypts, nothing of ours.
    idp.sec.crypto = CryptoBackendXmlSec1(shutil.which("xmlsec1"))
    if aes:  # pysaml2 hard-wires Triple-DES; its own template and xmlsec1 do AES-256-CBC when asked
        stock = idp.sec.encrypt_assertion

        def encrypt_aes(statement, enc_key, template, key_type="des-192", node_xpath=None):
            template.encryption_method.algorithm = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
            return stock(statement, enc_key, template, key_type="aes-256", node_xpath=node_xpath)

        idp.sec.encrypt_assertion = encrypt_aes
    cert = ws.keypair(sub.encryption_key).cert_pem.decode()
    response = idp.create_authn_response(
        {"uid": ["pat"]},
        in_response_to=None,
        destination=acs,
        sp_entity_id=sp_entity,
        name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text="pat"),
        sign_assertion=True,
        sign_response=True,
        encrypt_assertion=True,
        encrypt_cert_assertion=cert,
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
    )
    assert "EncryptedAssertion" in str(response) and "<saml:Assertion" not in str(response)
    return base64.b64encode(str(response).encode()).decode(), sub.idm_key


def test_the_sp_decrypts_an_assertion_encrypted_by_pysaml2_and_xmlsec1(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        value, idm_key = _pysaml2_idp_response(ws, servers, aes=True)
        http = requests.Session()
        r = http.post(servers.sp_app.config.acs_url, data={"SAMLResponse": value}, allow_redirects=False, timeout=10)
        assert r.status_code == 303, (r.status_code, r.headers.get("X-SAML-Reason"))
        who = http.get(servers.sp_base + "/whoami", timeout=10).json()
        http.close()
    assert (who["login"], who["subscription"]) == ("pat", idm_key)


def test_pysaml2s_stock_triple_des_is_refused_by_name(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        value, _ = _pysaml2_idp_response(ws, servers, aes=False)
        r = requests.post(
            servers.sp_app.config.acs_url, data={"SAMLResponse": value}, allow_redirects=False, timeout=10
        )
    assert r.status_code == 400 and r.headers.get("X-SAML-Reason") == "encryption-algorithm-unsupported"
    assert "tripledes-cbc" in r.text


def test_the_encryption_battery_against_python3_saml(onelogin_encrypted, ws):
    """The encryption family aimed at another SP: python3-saml (strict, wanting encrypted assertions)
    accepts the encrypted baseline and refuses every encrypted forgery, fetching nothing."""
    from harness.core.battery import REFUSED, external_target, run_external
    from mock_idp.scenarios import CATALOGUE

    sp, box, servers = onelogin_encrypted
    metadata = requests.get(box.base + "/metadata", timeout=10).content
    target, context = external_target(ws, metadata=metadata, login_url=box.base + "/login")
    family = [s for s in CATALOGUE if s.family == "encryption"]
    report = run_external(target, context, scenarios=family)
    verdicts = {r.scenario: (r.verdict, r.observed.status, r.note) for r in report.results}
    assert verdicts.pop("legitimate")[0] == "accepted", report.results[0]
    assert {v[0] for v in verdicts.values()} == {REFUSED}, verdicts
    assert not any(r.observed.fetched for r in report.results)
