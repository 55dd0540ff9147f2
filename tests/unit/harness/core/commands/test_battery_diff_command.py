"""`saml-harness battery --diff NAME`: the scenario's row, then its bad message against the legitimate one."""

import json

from harness.core.cli import main


def test_prints_the_diff_of_one_scenario(tmp_path, capsys):
    code = main(["--workspace", str(tmp_path / "ws"), "battery", "--diff", "signature-removed-assertion"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines[2:4]] == ["legitimate", "signature-removed-assertion"]  # only these ran
    start = lines.index("Diff of signature-removed-assertion against the legitimate message")
    said = "the Assertion's ds:Signature was removed; the NameID changed from “alice” to “bob”."
    assert lines[start + 1].endswith(said)
    assert lines[start + 2 : start + 4] == ["--- legitimate", "+++ signature-removed-assertion"]
    assert '-    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' in lines
    assert "\033[" not in out  # colour only on a terminal


def test_json_carries_the_diff_or_why_there_is_none(tmp_path, capsys):
    assert main(["--workspace", str(tmp_path / "ws"), "battery", "--diff", "malformed-base64", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["diff"]["scenario"] == "malformed-base64" and "sends no XML" in data["diff"]["reason"]


def test_an_unknown_scenario_is_named_with_a_suggestion(tmp_path, capsys):
    assert main(["--workspace", str(tmp_path / "ws"), "battery", "--diff", "signature-removed-asertion"]) == 2
    assert "did you mean signature-removed-assertion" in capsys.readouterr().err


def test_an_unreachable_sp_is_said_to_be_unreachable_not_unsafe(tmp_path, capsys) -> None:
    import socket

    from harness.core.workspace import Workspace

    Workspace.demo(tmp_path / "ws").close()
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = ["--workspace", str(tmp_path / "ws"), "battery", "--only", "xsw3"]
    main([*argv, "--sp-acs", f"http://127.0.0.1:{port}/acs", "--sp-entity-id", "https://sp.example"])
    out = capsys.readouterr().out
    assert "RESULT: the SP could not be reached (connection error)" in out and "NOT safe" not in out
