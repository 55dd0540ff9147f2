import base64
import zlib
from urllib.parse import quote

from harness.core.cli import main

XML = (
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
    'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>sp-x</saml:Issuer></samlp:AuthnRequest>'
)


def _redirect_value() -> str:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(c.compress(XML.encode()) + c.flush()).decode()


def test_decodes_a_whole_redirect_url(capsys):
    url = "https://idp.example/sso?SAMLRequest=" + quote(_redirect_value()) + "&RelayState=%2Fhome"
    assert main(["decode", url]) == 0
    out = capsys.readouterr().out
    assert "AuthnRequest" in out and "_r1" in out and "sp-x" in out


def test_decodes_from_stdin_and_prints_json(monkeypatch, capsys):
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO(base64.b64encode(XML.encode()).decode()))
    assert main(["decode", "-", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["summary"]["kind"] == "AuthnRequest"


def test_garbage_is_a_clear_error_not_a_traceback(capsys):
    assert main(["decode", "definitely not saml"]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and out.strip()


def test_doctype_is_refused(capsys):
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    assert main(["decode", evil]) == 1
    assert "DOCTYPE" in capsys.readouterr().out
