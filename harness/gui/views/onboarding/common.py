"""What the onboarding widgets share: their colours and marks, and the servers a run uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.core.checklist import FAIL, PASS, SKIP
from harness.core.servers import Servers

if TYPE_CHECKING:
    from harness.gui.controller import AppController

COLORS = {PASS: "#2e7d32", FAIL: "#c62828", SKIP: "#78909c", "pending": "#546e7a", "warning": "#e65100"}
MARKS = {PASS: "✔", FAIL: "✘", SKIP: "–", "pending": "…"}


def running_servers(controller: AppController) -> Servers | None:
    """The app's servers with the workspace's latest edits applied, or None when none run."""
    servers = controller.servers
    if servers is None or not servers.running:
        return None
    servers.reload()
    return servers


def servers_for_run(controller: AppController) -> tuple[Servers, bool]:
    """For a worker: the app's running servers, or our own on free ports (True: the worker stops them)."""
    servers = running_servers(controller)
    if servers is not None:
        return servers, False
    return Servers(controller.workspace, sp_port=0, idp_port=0).start(), True
