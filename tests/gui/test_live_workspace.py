"""The app holds its workspace and runs the control API: changes made through it (by a test, by a
routed command) reach the running servers and the views without a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.core.control.client import ControlClient
from harness.core.control.endpoint import read_control

ROOT = Path(__file__).resolve().parents[2]
FLOW_TIMEOUT_MS = 20_000


def _names(window) -> list[str]:
    model = window.users_page.editor.model
    return [model.object(r).username for r in range(model.rowCount())]


def test_a_user_added_through_the_control_api_appears_in_the_app(qtbot, window):
    ws = window.controller.workspace
    info = read_control(ws.path)
    assert info is not None and info.url.startswith("http://127.0.0.1:")
    client = ControlClient.of(info)
    try:
        client.put_user("zoe", "zoe-pw", email="zoe@demo-corp.example")
        qtbot.waitUntil(lambda: "zoe" in _names(window), timeout=FLOW_TIMEOUT_MS)
        assert window.controller.servers.idp_app.config.user("zoe") is not None
    finally:
        client.close()


def test_a_command_run_beside_the_app_goes_through_it(qtbot, window, tmp_path):
    ws = window.controller.workspace
    r = subprocess.run(
        [sys.executable, "-m", "harness.core.cli", "--workspace", str(ws.path), "certs", "make", "extra-key"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr
    assert "changes go through it" in r.stderr
    assert "extra-key" in ws.keypair_names()


def test_closing_the_app_removes_control_json(qtbot, window):
    path = window.controller.workspace.path
    assert json.loads((path / "control.json").read_text())["pid"]
    window.close()
    assert not (path / "control.json").exists()
