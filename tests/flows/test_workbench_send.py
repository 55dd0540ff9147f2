"""The message workbench end to end: a real login's Response, edited, re-signed each way and re-sent to
the embedded SP over loopback, gets the verdict each choice must get, from the core and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.core.certs import make_keypair
from harness.core.cli import main
from harness.core.flow import run_flow
from harness.core.servers import Servers
from harness.core.trace import Trace
from harness.core.workbench import edit
from harness.core.workbench.message import OpenMessage, from_trace, load
from harness.core.workbench.send import SendOptions, send
from harness.core.workbench.signing import SigningChoice
from harness.core.workspace import Workspace

BOTH = {"response", "assertion"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ws = Workspace.demo(tmp_path_factory.mktemp("wb") / "ws")
    ws.save_keypair("untrusted", make_keypair("Untrusted IdP"))
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        trace = run_flow(servers, kind="sp", idm_key="4711", username="alice").trace
        assert trace.outcome == "session"
        yield ws, servers, trace
    ws.close()


def _destination(servers: Servers, message: OpenMessage):
    from harness.core.commands.send import embedded_destination

    return embedded_destination(servers, "4711", message)


def _send(world, signing: SigningChoice, *, nameid: str | None = "bob", **options):
    ws, servers, trace = world
    message = from_trace(trace)
    if nameid:
        edit.set_fields(message, [("nameid", nameid)])
    return send(
        message, SendOptions(signing=signing, **options), _destination(servers, message), ws=ws, servers=servers
    )


@pytest.mark.parametrize(
    ("signing", "verdict", "reason", "login"),
    [
        (SigningChoice(), "refused", "signature-invalid", None),
        (SigningChoice(resign=BOTH), "accepted", "", "demo_bb"),
        (SigningChoice(resign={"assertion"}, strip={"response"}, hash="sha384"), "accepted", "", "demo_bb"),
        (SigningChoice(resign=BOTH, key="clone"), "refused", "signature-invalid", None),
        (SigningChoice(resign=BOTH, key="key:untrusted"), "refused", "signature-invalid", None),
        (SigningChoice(strip=BOTH), "refused", "signature-missing", None),
    ],
    ids=["kept", "resigned-idp", "assertion-only-sha384", "cloned-cert", "other-workspace-key", "stripped"],
)
def test_each_signing_choice_gets_its_verdict(world, signing, verdict, reason, login) -> None:
    result = _send(world, signing)
    assert (result.verdict, result.reason, result.login) == (verdict, reason, login), result.answer()
    assert result.trace.flow == "workbench" and "NameID" in result.trace.diff
    acs = next(s for s in result.trace.steps if s.message is not None and s.message.summary.kind == "Response")
    assert acs.code == (reason or "session")  # the SP's own checks are in the new trace
    assert any("NameID" in c for c in result.diff.changes)


def test_an_unchanged_replay_without_refresh_is_refused_as_a_replay(world) -> None:
    result = _send(world, SigningChoice(), nameid=None, readdress=False)
    assert result.verdict == "refused" and result.reason in (
        "destination-mismatch",
        "replayed",
        "in-response-to-unknown",
    )


def test_an_xxe_scenario_is_sent_as_written_and_refused(world) -> None:
    ws, servers, trace = world
    message = from_trace(trace)
    message.xml = message.xml.replace("?>", '?><!DOCTYPE r [<!ENTITY x "y">]>', 1)
    result = send(message, SendOptions(), _destination(servers, message), ws=ws, servers=servers)
    assert (result.verdict, result.reason) == ("refused", "doctype-forbidden")
    assert any("sent as written" in n for n in result.notes)


def test_an_authn_request_goes_to_the_mock_idp_by_redirect_signed_on_the_query(world) -> None:
    ws, servers, trace = world
    step = next(s for s in trace.steps if s.message is not None and s.message.summary.kind == "AuthnRequest")
    message = from_trace(trace, step.index)
    edit.set_fields(message, [("relay_state", "/deep/link")])
    signing = SigningChoice(resign={"response"}, key="key:untrusted")
    result = send(message, SendOptions(signing=signing), _destination(servers, message), ws=ws, servers=servers)
    sent = result.trace.steps[0]
    assert sent.method == "GET" and "SigAlg=" in sent.url and "Signature=" in sent.url
    assert sent.message.relay_state == "/deep/link"
    assert result.verdict == "accepted" and result.status == 200  # the IdP asks who you are


# -- the command ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(world, tmp_path_factory) -> tuple[Path, Path]:
    ws, _servers, trace = world
    path = tmp_path_factory.mktemp("cli") / "run.json"
    path.write_text(trace.to_json())
    return ws.path, path


def _cli(capsys, saved, *argv: str) -> tuple[int, str, str]:
    ws_path, trace = saved
    code = main(["--workspace", str(ws_path), "send", str(trace), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    ("argv", "code", "reason"),
    [
        (["--set", "nameid=bob"], 1, "signature-invalid"),
        (["--set", "nameid=bob", "--resign", "idp"], 0, ""),
        (["--set", "nameid=bob", "--resign-clone"], 1, "signature-invalid"),
        (
            ["--set", "nameid=bob", "--resign", "untrusted", "--sign-part", "assertion", "--strip", "response"],
            1,
            "signature-invalid",
        ),
        (["--set", "nameid=bob", "--strip", "all"], 1, "signature-missing"),
    ],
)
def test_cli_send_exit_codes_say_accepted_or_refused(capsys, saved, argv, code, reason) -> None:
    got, out, err = _cli(capsys, saved, *argv, "--json")
    assert got == code, err
    result = json.loads(out)
    assert result["reason"] == reason
    assert (result["login"] == "demo_bb") == (code == 0)
    assert "NameID" in Trace.from_dict(result["trace"]).diff


def test_cli_send_of_a_saved_authn_request_follows_the_embedded_sps_new_acs(capsys, saved) -> None:
    """The servers of the command run on new ports: the SP's own AuthnRequest, its ACS URL left as
    opened, is re-addressed to the SP's ACS of this run, so the mock IdP takes it (no acs-mismatch)."""
    ws_path, trace = saved
    code = main(["--workspace", str(ws_path), "send", f"{trace}:1", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["verdict"] == "accepted" and result["reason"] == ""
    assert any("(acs_url)" in note for note in result["notes"])


def test_cli_send_prints_the_diff_and_the_answer_and_saves_the_trace(capsys, saved, tmp_path) -> None:
    out_trace = tmp_path / "sent.json"
    code, out, _ = _cli(capsys, saved, "--set", "nameid=bob", "--resign", "idp", "--save-trace", str(out_trace))
    assert code == 0
    assert "RESULT: ✔ accepted" in out and "+" in out and "bob" in out
    assert load(str(out_trace)).kind == "Response"  # the new trace opens in the workbench again


def test_cli_send_encrypted_for_the_sp_key_is_accepted_and_for_another_refused(capsys, saved) -> None:
    base = ["--set", "nameid=bob", "--resign", "idp", "--json"]
    code, out, err = _cli(capsys, saved, *base, "--encrypt", "sp-encryption-4711")
    assert code == 0, err
    assert "EncryptedAssertion" in json.loads(out)["sent_xml"]
    code, out, _ = _cli(capsys, saved, *base, "--encrypt", "untrusted")
    assert (code, json.loads(out)["reason"]) == (1, "decryption-failed")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--encrypt", "nope"], "no file and no workspace key pair"),
        (["--scenario", "no-such"], "no attack scenario"),
        (["--set", "colour=red"], "no field 'colour'"),
        (["--resign", "nope"], "no key pair 'nope'"),
        (["--to", "ftp://x/acs"], "http:// or https://"),
        (["--to", "http://127.0.0.1:9/acs"], "failed"),
    ],
)
def test_cli_send_errors_exit_2_in_words(capsys, saved, tmp_path, argv, words) -> None:
    cert = tmp_path / "c.pem"
    cert.write_bytes(make_keypair("x").cert_pem)
    code, out, err = _cli(capsys, saved, *[a.format(cert=cert) for a in argv])
    assert code == 2 and words in err + out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b"<r>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</r>",
        b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>\xff\xfe</samlp:Response>",
        b"<r>\x07\x1b[31m</r>",
        b"<r>" + b"A" * (9 * 1024 * 1024) + b"</r>",
    ],
    ids=["doctype", "deep", "invalid-utf8", "control-chars", "huge"],
)
def test_cli_send_hostile_files_get_a_clear_error(capsys, saved, tmp_path, content) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(content)
    code = main(["--workspace", str(saved[0]), "send", str(path), "--set", "nameid=x"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("saml-harness: ") and "Traceback" not in err
    assert "\x1b" not in err


def test_a_step_of_an_imported_har_opens_and_resends_like_the_harness_own(world) -> None:
    from harness.core.capture.har_write import trace_to_har
    from harness.core.capture.load import read_capture
    from harness.core.capture.to_trace import capture_to_trace

    ws, servers, trace = world
    imported = capture_to_trace(read_capture(json.dumps(trace_to_har(trace)).encode()))
    own, theirs = from_trace(trace), from_trace(imported)
    assert theirs.xml == own.xml  # the Response exactly as it travelled: its signatures still hold
    edit.set_fields(theirs, [("nameid", "bob")])
    signing = SigningChoice(resign=BOTH)
    result = send(theirs, SendOptions(signing=signing), _destination(servers, theirs), ws=ws, servers=servers)
    assert (result.verdict, result.login) == ("accepted", "demo_bb")
