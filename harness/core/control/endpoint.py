"""`control.json`: where a running harness's control API listens, and its bearer token.

Written 0600 into the workspace when `serve` (or the app) starts and removed when it stops, so
only the workspace's owner can read the token; a harness command that finds the workspace locked
reads it to route its change through the running harness instead of failing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.core.durable import atomic_write

CONTROL_NAME = "control.json"


@dataclass
class ControlInfo:
    url: str  # e.g. http://127.0.0.1:40123 (no trailing slash)
    token: str
    pid: int

    def save(self, workspace_dir: Path) -> Path:
        path = Path(workspace_dir) / CONTROL_NAME
        atomic_write(path, (json.dumps(asdict(self)) + "\n").encode(), 0o600)
        return path


def read_control(workspace_dir: Path) -> ControlInfo | None:
    """The running harness's control endpoint, or None when there is none (or the file is unusable)."""
    path = Path(workspace_dir) / CONTROL_NAME
    try:
        data = json.loads(path.read_text())
        return ControlInfo(url=str(data["url"]), token=str(data["token"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_control(workspace_dir: Path, info: ControlInfo) -> None:
    """Remove control.json if it is still ours (a newer harness may have replaced it)."""
    current = read_control(workspace_dir)
    if current is not None and current.token == info.token and current.pid == os.getpid():
        (Path(workspace_dir) / CONTROL_NAME).unlink(missing_ok=True)
