"""samlkit.pysaml2_backend and samlkit.entities: pysaml2 itself, with in-process crypto.

pysaml2's own `Saml2Client.parse_authn_request_response` accepts a good Response from the
mock IdP and refuses tampered, stripped and foreign-signed ones, and no `xmlsec1` process is
ever started: PATH holds no xmlsec1 and the autouse `no_process_spawned` fixture watches the
interpreter's audit events for any process creation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.sigver import SignatureError
from saml_helpers import Keys

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, issue, sign_as_configured
from samlkit import codec, ns, xmldsig
from samlkit.entities import make_idp_server, make_sp_client, metadata_of
from samlkit.pysaml2_backend import InProcessXmlSec

SP = "urn:test:sp"
ACS = "https://sp.test/acs"
IDP = "urn:test:idp"
USER = IdPUser("alice", "pw", email="alice@corp.test")


@pytest.fixture(autouse=True)
def no_xmlsec1_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("xmlsec1") is None


def client(cert_pem: bytes, **kw) -> Saml2Client:
    return make_sp_client(
        entity_id=SP, acs_url=ACS, idp_entity_id=IDP, idp_sso_url="https://idp.test/sso", idp_cert_pem=cert_pem, **kw
    )


def settings(**kw) -> SPSettings:
    return SPSettings(entity_id=SP, acs_url=ACS, **kw)


def parse(c: Saml2Client, value: str, **kw):
    return c.parse_authn_request_response(value, BINDING_HTTP_POST, **kw)


def test_crypto_is_in_process(keys: Keys) -> None:
    c = client(keys.idp.cert_pem)
    assert isinstance(c.sec.crypto, InProcessXmlSec)
    assert c.sec.crypto.version.count(".") == 2
    server = make_idp_server(
        entity_id=IDP, sso_url="https://idp.test/sso", key_pem=keys.idp.key_pem, cert_pem=keys.idp.cert_pem, sps=[]
    )
    assert isinstance(server.sec.crypto, InProcessXmlSec)
    assert "IDPSSODescriptor" in metadata_of(server)


@pytest.mark.parametrize("sign", ["assertion", "both"])
@pytest.mark.parametrize("hash_name", ["sha256", "sha512"])
def test_good_response_is_accepted(keys: Keys, sign: str, hash_name: str) -> None:
    issued = issue(
        idp_entity_id=IDP,
        sp=settings(sign=sign, sig_hash=hash_name),
        user=USER,
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        in_response_to=None,
    )
    r = parse(client(keys.idp.cert_pem), issued.b64)
    assert r is not None
    assert r.name_id.text == "alice"
    assert r.assertion.id == issued.assertion_id


def test_ec_signed_response_is_accepted(keys: Keys) -> None:
    issued = issue(
        idp_entity_id=IDP,
        sp=settings(),
        user=USER,
        key_pem=keys.ec.key_pem,
        cert_pem=keys.ec.cert_pem,
        in_response_to=None,
    )
    assert parse(client(keys.ec.cert_pem), issued.b64).name_id.text == "alice"


def test_solicited_response_is_matched_to_its_request(keys: Keys) -> None:
    c = client(keys.idp.cert_pem, allow_unsolicited=False)
    issued = issue(
        idp_entity_id=IDP,
        sp=settings(),
        user=USER,
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        in_response_to="_req1",
    )
    assert parse(c, issued.b64, outstanding={"_req1": "/"}).in_response_to == "_req1"


def _forge(keys: Keys, *, before=None, after=None, **sp_kw) -> str:
    sp = settings(**sp_kw)
    resp, a = build_unsigned(idp_entity_id=IDP, sp=sp, user=USER, in_response_to=None)
    if before:
        before(resp, a)
    sign_as_configured(resp, a, sp, keys.idp.key_pem, keys.idp.cert_pem)
    if after:
        after(resp, a)
    return codec.encode_post(etree.tostring(resp))


def _name_id(a: etree._Element) -> etree._Element:
    return a.find(f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}")


def _strip(el: etree._Element) -> None:
    el.remove(el.find(ns.q(ns.DS, "Signature")))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tampered", lambda k: _forge(k, after=lambda r, a: setattr(_name_id(a), "text", "admin"))),
        ("assertion-signature-stripped", lambda k: _forge(k, after=lambda r, a: _strip(a))),
        ("unsigned", lambda k: _forge(k, sign="none")),
        ("response-only-signed", lambda k: _forge(k, sign="response")),
        (
            "foreign-key-with-keyinfo-cert",
            lambda k: _forge(k, sign="assertion", key_pem=k.foreign.key_pem, cert_pem=k.foreign.cert_pem),
        ),
        (
            "foreign-key-with-trusted-cert-in-keyinfo",
            lambda k: _forge(k, sign="assertion", key_pem=k.foreign.key_pem, cert_pem=k.idp.cert_pem),
        ),
    ],
)
def test_forgeries_are_refused_by_pysaml2(keys: Keys, name: str, value) -> None:
    c = client(keys.idp.cert_pem)
    with pytest.raises(SignatureError):
        parse(c, value(keys))


def test_backend_refuses_doctype(keys: Keys, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_bytes(keys.idp.cert_pem)
    doc = '<!DOCTYPE r [<!ENTITY e "x">]><r ID="a">&e;</r>'
    with pytest.raises(SignatureError, match="DOCTYPE"):
        InProcessXmlSec().validate_signature(doc, str(cert), "pem", "urn:x:r", "a")


def test_pysaml2_server_signs_through_the_backend(keys: Keys) -> None:
    """pysaml2's own signing (its template, our signer) verifies with the strict verifier."""
    server = make_idp_server(
        entity_id=IDP,
        sso_url="https://idp.test/sso",
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        sps=[(SP, ACS)],
    )
    resp = server.create_authn_response(
        {"uid": ["alice"]},
        in_response_to=None,
        destination=ACS,
        sp_entity_id=SP,
        name_id=NameID(text="alice", format=NAMEID_FORMAT_UNSPECIFIED),
        authn={"class_ref": ns.AC_PASSWORD_PROTECTED},
        sign_assertion=True,
        sign_response=True,
    )
    xml = str(resp).encode()
    root = etree.fromstring(xml)
    assertion = root.find(ns.q(ns.SAML, "Assertion"))
    assert xmldsig.verify(assertion, keys.idp.cert_pem).sig_alg == "rsa-sha256"
    assert xmldsig.verify(root, keys.idp.cert_pem).digest_alg == "sha256"
    r = parse(client(keys.idp.cert_pem), codec.encode_post(xml))
    assert r.name_id.text == "alice"
    assert r.ava == {"uid": ["alice"]}


def test_the_process_watch_would_see_a_fork() -> None:
    """The guard behind `no_process_spawned` is real: a started process is recorded."""
    import subprocess
    import sys

    from saml_helpers import forget_spawned, spawned_processes

    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert spawned_processes(), "the audit hook did not see subprocess.Popen"
    forget_spawned()
