"""`flow sp --passive / --force-authn / --authn-context / --nameid-format`: the AuthnRequest for one
run, over loopback against the mock IdP, with the workspace left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.cli import main
from harness.core.workspace import Workspace


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    Workspace.demo(tmp_path / "ws").close()
    return tmp_path / "ws"


def flow(capsys, ws_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(ws_path), "flow", "sp", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_passive_without_and_with_an_idp_session(capsys, ws_path: Path) -> None:
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--passive", "--expect", "status-not-success")
    assert code == 0 and "status:NoPassive" in out and "the IdP asked for credentials: no" in out
    assert "the user has no session at the IdP." in out and "IdP.." not in out  # one full stop
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--passive", "--idp-session")
    assert code == 0 and "RESULT: session opened for alice" in out and "asked for: IsPassive" in out
    assert "credentials: no" in out


def test_force_authn_asks_again_despite_the_session(capsys, ws_path: Path) -> None:
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--idp-session")
    assert code == 0 and "credentials: no" in out
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--idp-session", "--force-authn")
    assert code == 0 and "asked for: ForceAuthn" in out and "credentials: yes" in out


def test_mfa_context_totp_user_passes_password_user_is_refused(capsys, ws_path: Path) -> None:
    code, out, _ = flow(capsys, ws_path, "--user", "frank", "--authn-context", "mfa")
    assert code == 0 and "RequestedAuthnContext exact mfa" in out and "https://refeds.org/profile/mfa" in out
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--authn-context", "mfa", "--expect", "status-not-success")
    assert code == 0 and "NoAuthnContext" in out
    code, out, _ = flow(capsys, ws_path, "--user", "alice", "--authn-context", "ppt", "--comparison", "minimum")
    assert code == 0, out


def test_bad_options_are_refused_in_words_and_the_workspace_is_untouched(capsys, ws_path: Path) -> None:
    code, _, err = flow(capsys, ws_path, "--user", "alice", "--nameid-format", "kerberos")
    assert code == 2 and "neither a known short name nor a URI" in err
    code, out, _ = flow(
        capsys, ws_path, "--user", "alice", "--nameid-format", "urn:x:kerberos", "--expect", "status-not-success"
    )
    assert code == 0 and "InvalidNameIDPolicy" in out
    ws = Workspace(ws_path, read_only=True)
    try:
        assert not ws.subscription("4711").request_passive and ws.subscription("4711").request_nameid_format == ""
    finally:
        ws.close()
