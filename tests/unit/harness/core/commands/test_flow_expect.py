"""`flow --expect CODE` says whether the run met it, so a failing exit code is never silent."""

from __future__ import annotations

from pathlib import Path

from harness.core.cli import main
from harness.core.workspace import Workspace


def test_expect_says_met_or_not_met_and_what_happened(tmp_path: Path, capsys) -> None:
    Workspace.demo(tmp_path / "ws").close()
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main([*ws, "flow", "sp", "--user", "erin", "--expect", "user-not-found"]) == 0
    assert "--expect user-not-found: met" in capsys.readouterr().out
    assert main([*ws, "flow", "sp", "--user", "alice", "--expect", "user-not-found"]) == 1
    assert "--expect user-not-found: NOT met: the login ended in a session for alice" in capsys.readouterr().out
    assert main([*ws, "flow", "sp", "--user", "carol", "--expect", "user-not-found"]) == 1
    assert "NOT met: the login ended in refused saml-disabled-for-user" in capsys.readouterr().out
