"""Command-line arguments that cannot make sense are refused in words; predictions match the SP."""

import pytest

from harness.core.cli import main
from harness.core.flow import expect, run_flow
from harness.core.servers import Servers
from harness.core.workspace import Workspace


def test_prediction_honours_the_new_data_security_model(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    sub = ws.subscription("4711")
    sub.nds_enabled = False  # then no account may have SAML enabled: the mapping alone would say
    for a in sub.accounts:  # saml-disabled-for-user, but the SP refuses first with nds-required
        a.saml_enabled = False
    ws.save_subscription(sub)
    with Servers(ws, sp_port=0, idp_port=0) as s:
        assert expect(s, "4711", "alice").outcome == "nds-required"
        for kind in ("sp", "idp"):
            r = run_flow(s, kind=kind, idm_key="4711", username="alice")
            assert r.session_login is None and r.final_reason == "nds-required"
            assert r.as_expected, (kind, r.expected)
    ws.close()


def test_flow_pick_refuses_an_account_the_subscription_does_not_have(tmp_path, capsys):
    ws = str(tmp_path / "ws")
    assert main(["--workspace", ws, "flow", "sp", "--user", "dave", "--pick", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "no account 'nobody' to pick" in err and "demo_dd1" in err
    assert main(["--workspace", ws, "flow", "sp", "--user", "dave", "--pick", "demo_dd2"]) == 0
    assert "session opened for demo_dd2" in capsys.readouterr().out


def test_a_certificate_cannot_be_expired_and_not_yet_valid(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--workspace", str(tmp_path / "ws"), "certs", "make", "x", "--expired", "--not-yet-valid"])
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "keys" / "x.key.pem").exists()
