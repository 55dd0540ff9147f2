"""`saml-harness encryption`: the mock IdP's per-SP encryption and the SP's per-subscription policy,
checked before saving; then a real loopback login with an encrypted assertion, decrypted in the trace."""

from __future__ import annotations

from harness.core.cli import main
from harness.core.flow import run_flow
from harness.core.servers import Servers
from harness.core.workspace import Workspace


def test_idp_and_sp_settings_are_saved_and_a_login_decrypts(tmp_path, capsys):
    ws_dir = str(tmp_path / "ws")
    Workspace.demo(ws_dir).close()
    args = ["--workspace", ws_dir, "encryption"]
    assert main([*args, "idp", "--assertion", "on", "--data", "aes128-gcm", "--key-transport", "rsa-oaep-sha256"]) == 0
    assert "encrypts Assertion with aes128-gcm, key rsa-oaep-sha256, to key pair 'sp-encryption-4711'" in (
        capsys.readouterr().out
    )
    assert main([*args, "sp", "--policy", "require"]) == 0
    assert "policy require, key pair sp-encryption-4711, RSA 1.5 refused" in capsys.readouterr().out
    ws = Workspace(ws_dir)
    try:
        with Servers(ws, sp_port=0, idp_port=0) as servers:
            r = run_flow(servers, kind="sp", idm_key="4711", username="alice")
    finally:
        ws.close()
    assert r.whoami.get("login") == "alice", (r.final_status, r.final_reason)
    acs = next(s for s in r.trace.steps if s.message and s.message.summary.kind == "Response")
    assert any("EncryptedAssertion: AES-128-GCM" in n for n in acs.message.encryption)
    assert acs.message.summary.name_id == "alice" and [s.value_ok for s in acs.message.signatures] == [True, True]
    assert any(c.name == "Decryption" and c.ok for s in r.trace.steps for c in s.checks)


def test_bad_settings_are_refused_and_nothing_is_saved(tmp_path, capsys):
    ws_dir = str(tmp_path / "ws")
    Workspace.demo(ws_dir).close()
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    args = ["--workspace", ws_dir, "encryption"]
    assert main([*args, "idp", "--assertion", "on", "--cert", str(tmp_path / "bad.pem")]) == 2
    assert "encryption certificate cannot be used" in capsys.readouterr().err
    assert main([*args, "idp", "--key-pair", "nope"]) == 2
    assert "no key pair 'nope'" in capsys.readouterr().err
    assert main([*args, "sp", "--idm-key", "999"]) == 2
    main([*args, "show"])
    out = capsys.readouterr().out
    assert "IdP  Vendor SP (embedded): no encryption" in out and "policy accept" in out
