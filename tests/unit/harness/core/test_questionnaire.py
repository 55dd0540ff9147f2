"""The onboarding questionnaire: TOML both ways, filled from metadata (file, text, URL) and from the mock IdP."""

from __future__ import annotations

import functools
import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from harness.core.certs import KeyPair, fingerprint_sha256, make_keypair
from harness.core.metadata_read import MetadataError, fetch
from harness.core.questionnaire import Questionnaire, QuestionnaireError
from harness.core.workspace import Workspace
from samlkit import ns
from samlkit.entities import make_idp_server, metadata_of
from samlkit.metadata_xml import cert_b64, idp_metadata, sp_metadata

NOW = datetime.now(UTC)


@functools.cache
def kp(name: str = "idp") -> KeyPair:
    return make_keypair(f"{name}.example")


@functools.cache
def expired() -> KeyPair:
    return make_keypair("old.example", not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=2))


def good(**kw: str) -> Questionnaire:
    base = dict(
        idp_entity_id="urn:mace:incommon:example.com",
        idp_certificate=kp().cert_pem.decode(),
        idp_sso_url="https://idp.example.com/sso",
        subscription="abcd_ef",
        exit_url="https://www.example.com/",
    )
    base.update(kw)
    return Questionnaire(**base)


# -- TOML ------------------------------------------------------------------------------------


def test_toml_round_trip_keeps_every_field_and_writes_the_pem_as_a_multiline_literal(tmp_path: Path) -> None:
    q = good(exit_url="")
    text = q.dumps()
    assert "idp_certificate = '''\n-----BEGIN CERTIFICATE-----" in text
    assert tomllib.loads(text)["idp_certificate"] == q.idp_certificate
    path = q.save(tmp_path / "q.toml")
    assert Questionnaire.load(path) == q


def test_toml_strings_with_quotes_and_backslashes_survive() -> None:
    q = good(idp_entity_id='urn:x:"quoted"\\back', subscription="ab_ç")
    assert Questionnaire.loads(q.dumps()) == q


def test_a_pem_that_a_literal_cannot_hold_falls_back_to_a_basic_string() -> None:
    q = good(idp_certificate="has ''' inside")
    assert Questionnaire.loads(q.dumps()).idp_certificate == "has ''' inside"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("idp_entity_id = 'x'\nidp_cert = 'y'\n", "unknown field 'idp_cert'"),
        ("idp_entity_id = 3\n", "idp_entity_id must be a string"),
        ("idp_entity_id = \n", "not valid TOML"),
    ],
)
def test_unreadable_questionnaires_say_why(text: str, words: str) -> None:
    with pytest.raises(QuestionnaireError, match=words):
        Questionnaire.loads(text)


def test_a_missing_file_is_a_questionnaire_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="does not exist"):
        Questionnaire.load(tmp_path / "nope.toml")


# -- from metadata ---------------------------------------------------------------------------


def pysaml2_idp_metadata() -> str:
    server = make_idp_server(
        entity_id="https://idp.example.org/idp",
        sso_url="https://idp.example.org/sso",
        key_pem=kp().key_pem,
        cert_pem=kp().cert_pem,
        sps=[],
    )
    return metadata_of(server)


def test_from_pysaml2_metadata_and_back_through_toml(tmp_path: Path) -> None:
    q = Questionnaire.from_metadata(pysaml2_idp_metadata().encode(), subscription="abcd_ef")
    assert q.idp_entity_id == "https://idp.example.org/idp"
    assert q.idp_sso_url == "https://idp.example.org/sso"
    assert fingerprint_sha256(q.idp_certificate) == fingerprint_sha256(kp().cert_pem)
    assert q.validate() == []
    assert Questionnaire.load(q.save(tmp_path / "q.toml")) == q


def test_from_a_metadata_file_path(tmp_path: Path) -> None:
    path = tmp_path / "idp.xml"
    path.write_text(pysaml2_idp_metadata())
    assert Questionnaire.from_metadata(path).idp_entity_id == "https://idp.example.org/idp"
    assert Questionnaire.from_metadata(str(path)).idp_sso_url == "https://idp.example.org/sso"


def _entity(entity_id: str, *, certs: list[bytes], bindings: list[str], protocol: str = ns.SAMLP) -> str:
    keys = "".join(
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64(c)}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for c in certs
    )
    sso = "".join(
        f'<md:SingleSignOnService Binding="{b}" Location="https://{entity_id}/sso/{b[-4:]}"/>' for b in bindings
    )
    return (
        f'<md:EntityDescriptor entityID="{entity_id}"><md:IDPSSODescriptor protocolSupportEnumeration="{protocol}">'
        f"{keys}{sso}</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _doc(*entities: str) -> bytes:
    return (
        f'<md:EntitiesDescriptor xmlns:md="{ns.MD}" xmlns:ds="{ns.DS}">{"".join(entities)}</md:EntitiesDescriptor>'
    ).encode()


def test_picks_the_redirect_endpoint_and_the_valid_signing_certificate() -> None:
    doc = _doc(
        _entity("a.example", certs=[expired().cert_pem, kp().cert_pem], bindings=[ns.BINDING_POST, ns.BINDING_REDIRECT])
    )
    q = Questionnaire.from_metadata(doc)
    assert q.idp_sso_url == "https://a.example/sso/rect"
    assert fingerprint_sha256(q.idp_certificate) == fingerprint_sha256(kp().cert_pem)


def test_an_aggregate_needs_an_entity_id() -> None:
    doc = _doc(
        _entity("a.example", certs=[kp().cert_pem], bindings=[ns.BINDING_REDIRECT]),
        _entity("b.example", certs=[kp().cert_pem], bindings=[ns.BINDING_REDIRECT]),
    )
    with pytest.raises(QuestionnaireError, match="describes 2 entities .*say which entityID"):
        Questionnaire.from_metadata(doc)
    assert Questionnaire.from_metadata(doc, entity_id="b.example").idp_entity_id == "b.example"
    with pytest.raises(QuestionnaireError, match="no IDPSSODescriptor .* for the entityID 'c.example'"):
        Questionnaire.from_metadata(doc, entity_id="c.example")


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (
            sp_metadata(entity_id="sp.example", acs_url="https://sp.example/acs").encode(),
            "no IDPSSODescriptor .*it has an SPSSODescriptor",
        ),
        (
            _doc(_entity("a.example", certs=[kp().cert_pem], bindings=[ns.BINDING_POST])),
            "no SingleSignOnService with the HTTP-Redirect binding .*offers: HTTP-POST",
        ),
        (_doc(_entity("a.example", certs=[], bindings=[ns.BINDING_REDIRECT])), "no signing certificate"),
        (
            _doc(
                _entity(
                    "a.example",
                    certs=[kp().cert_pem],
                    bindings=[ns.BINDING_REDIRECT],
                    protocol="urn:oasis:names:tc:SAML:1.1:protocol",
                )
            ),
            "does not support SAML 2.0",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
        (b"<html><body>login</body></html>", "not SAML metadata"),
        (b"<md:EntityDescriptor", "not well-formed"),
        ("not a path, not a url", "does not exist"),
    ],
)
def test_metadata_that_cannot_be_used_says_why(doc: bytes | str, words: str) -> None:
    with pytest.raises(QuestionnaireError, match=words):
        Questionnaire.from_metadata(doc)


@pytest.fixture
def metadata_server() -> Iterator[str]:
    body = pysaml2_idp_metadata().encode()

    def app(environ, start_response):
        path = Request(environ).path
        if path == "/big":
            return Response(b"<" + b"x" * 5000, mimetype="text/xml")(environ, start_response)
        if path == "/metadata":
            return Response(body, mimetype="application/samlmetadata+xml")(environ, start_response)
        return Response("no", status=404)(environ, start_response)

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    t.join(5)


def test_from_a_metadata_url(metadata_server: str) -> None:
    q = Questionnaire.from_metadata(metadata_server + "/metadata", subscription="abcd_ef", timeout=5)
    assert q.idp_entity_id == "https://idp.example.org/idp" and q.validate() == []


def test_a_url_answering_an_error_or_too_much_is_refused(metadata_server: str) -> None:
    with pytest.raises(QuestionnaireError, match="answered HTTP 404"):
        Questionnaire.from_metadata(metadata_server + "/missing", timeout=5)
    with pytest.raises(MetadataError, match="over the limit of 1000|larger than the limit of 1000"):
        fetch(metadata_server + "/big", max_bytes=1000, timeout=5)
    with pytest.raises(MetadataError, match="cannot fetch"):
        fetch("http://127.0.0.1:9/metadata", timeout=2)


# -- the mock IdP and the SP side ------------------------------------------------------------


def test_from_mock_idp_uses_its_entity_id_and_signing_certificate(tmp_path: Path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    q = Questionnaire.from_mock_idp(ws, subscription="abcd_ef")
    assert q.idp_entity_id == ws.idp_profile().entity_id
    assert q.idp_sso_url == "{mock_idp}/sso" and q.exit_url == "{mock_idp}/"
    assert q.cert_pem.strip() == ws.keypair("idp-signing").cert_pem.strip()
    assert q.validate() == []
    running = Questionnaire.from_mock_idp(ws, subscription="abcd_ef", idp_base="http://127.0.0.1:1234")
    assert running.idp_sso_url == "http://127.0.0.1:1234/sso" and running.exit_url == "http://127.0.0.1:1234/"
    ws.close()


def test_from_subscription_reads_the_trust_back(tmp_path: Path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    sub = ws.subscription("4711")
    q = Questionnaire.from_subscription(sub)
    assert (q.idp_entity_id, q.idp_sso_url, q.subscription) == (sub.idp_entity_id, sub.idp_sso_url, "demo_mgr")
    ws.close()


def test_idp_metadata_written_by_samlkit_reads_back() -> None:
    xml = idp_metadata(entity_id="urn:x", sso_url="https://x.example/sso", cert_pem=kp().cert_pem)
    assert Questionnaire.from_metadata(xml).idp_sso_url == "https://x.example/sso"
