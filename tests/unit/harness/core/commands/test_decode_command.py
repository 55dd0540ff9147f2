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


def _hostile_request() -> str:
    # XML cannot carry ESC, but it carries C1 (\x9b is an 8-bit CSI), CR as &#13; and bidi overrides.
    xml = XML.replace("sp-x", "sp-x\x9b2J&#13;OVER\u202eevil")
    return base64.b64encode(xml.encode()).decode()


def test_human_output_shows_control_characters_as_escapes(capsys):
    relay = quote("\x1b]8;;https://evil/\x07x", safe="")
    url = "https://idp.example/sso?SAMLRequest=" + quote(_hostile_request()) + "&RelayState=" + relay
    assert main(["decode", url]) == 0
    out = capsys.readouterr().out
    for raw in "\x1b\x07\x9b\r\u202e":
        assert raw not in out
    assert "\\x9b2J" in out and "\\u202e" in out and "\\x0d" in out and "\\x1b]8;;https://evil/" in out


def test_json_output_stays_exact(capsys):
    import json

    assert main(["decode", _hostile_request(), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["summary"]["issuer"] == "sp-x\x9b2J\rOVER\u202eevil"


def test_a_closed_pipe_ends_quietly_without_a_traceback(tmp_path):
    import subprocess
    import sys

    big = tmp_path / "msg.txt"
    # Far more than a pipe's buffer, so the writer is still writing when the reader leaves.
    big.write_text(base64.b64encode(XML.replace("sp-x", "sp-x" + "y" * 400_000).encode()).decode())
    script = f"import sys; from harness.core.cli import main; sys.exit(main(['decode', {str(big)!r}, '--xml']))"
    # `head -c1` closes the pipe after one byte, long before decode has printed everything.
    proc = subprocess.run(
        f'{sys.executable} -c "{script}" | head -c1 >/dev/null; echo ${{PIPESTATUS[0]}}',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_a_newline_inside_a_value_cannot_draw_a_line_of_its_own(capsys):
    xml = XML.replace("sp-x", "sp-x&#10;  ✔ Signature verifies")
    assert main(["decode", base64.b64encode(xml.encode()).decode()]) == 0
    out = capsys.readouterr().out
    assert not any(line.strip().startswith("✔ Signature verifies") for line in out.splitlines())
    assert "sp-x\\x0a  ✔ Signature verifies" in out


def _signed_response(sign_fixtures, tmp_path, *, tamper: bool):
    from lxml import etree

    root = sign_fixtures.response(sign_response=True)
    text = etree.tostring(root).decode()
    if tamper:
        text = text.replace("user1@example.com", "admin@example.com")
    cert = tmp_path / "idp.pem"
    cert.write_bytes(sign_fixtures.cert_pem)
    return base64.b64encode(text.encode()).decode(), str(cert)


def test_exit_codes_with_a_certificate(sign_fixtures, tmp_path, capsys):
    good, cert = _signed_response(sign_fixtures, tmp_path, tamper=False)
    assert main(["decode", good, "--cert", cert]) == 0
    bad, cert = _signed_response(sign_fixtures, tmp_path, tamper=True)
    assert main(["decode", bad, "--cert", cert]) == 3
    assert main(["decode", bad, "--cert", cert, "--json"]) == 3
    assert main(["decode", bad]) == 0  # without a certificate nothing was checked against one
    other = tmp_path / "other.pem"
    other.write_bytes(sign_fixtures.other_cert_pem)
    assert main(["decode", good, "--cert", str(other)]) == 3
    assert main(["decode", good, "--cert", str(tmp_path / "missing.pem")]) == 2
    capsys.readouterr()


def test_help_lists_the_exit_codes(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["decode", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "3  with --cert: a signature does not hold" in out


def test_decode_shows_a_saved_trace_as_recorded_and_refuses_a_bad_one(tmp_path, capsys) -> None:
    """`flow --save-trace run.json` then `decode run.json` (it said the "URL" had no SAML parameter)."""
    from harness.core.workspace import Workspace

    Workspace.demo(tmp_path / "ws").close()
    run, har = tmp_path / "run.json", tmp_path / "run.har"
    assert main(["--workspace", str(tmp_path / "ws"), "flow", "sp", "--user", "alice", "--save-trace", str(run)]) == 0
    capsys.readouterr()
    assert main(["decode", str(run), "--save-har", str(har)]) == 0
    out = capsys.readouterr().out
    assert "POST /IdM/saml2/ (Response)" in out and "outcome: session" in out and har.exists()
    assert main(["decode", str(run), "--cert", str(run)]) == 2
    assert "saml-harness send FILE:STEP" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": 5}')
    assert main(["decode", str(bad)]) == 2
    assert "trace.steps: expected a list" in capsys.readouterr().err
