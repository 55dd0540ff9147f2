"""Where a harness that holds the workspace serves: the real base URLs, recorded while it runs.

`serve` and the app may fall back to a free port when the workspace's port is taken, so the
port in the SP profile is only a guess. The serving harness writes `serving.json` beside the
database (its pid and both base URLs) and removes it when it stops; a record whose process is
gone is ignored, so a crash leaves nothing misleading behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

RECORD_NAME = "serving.json"


@dataclass
class Serving:
    pid: int
    sp_base: str
    idp_base: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record(workspace_dir: Path, sp_base: str, idp_base: str) -> None:
    """Best effort: a workspace that cannot take the file still serves (URLs fall back to the profile)."""
    path = Path(workspace_dir) / RECORD_NAME
    tmp = path.with_name(RECORD_NAME + ".tmp")
    try:
        tmp.write_text(json.dumps({"pid": os.getpid(), "sp_base": sp_base, "idp_base": idp_base}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def clear(workspace_dir: Path) -> None:
    """Remove the record when this process wrote it."""
    found = current(workspace_dir)
    if found is not None and found.pid == os.getpid():
        (Path(workspace_dir) / RECORD_NAME).unlink(missing_ok=True)


def current(workspace_dir: Path) -> Serving | None:
    """The live harness's record, or None (no record, unreadable, or its process is gone)."""
    try:
        data = json.loads((Path(workspace_dir) / RECORD_NAME).read_text(encoding="utf-8"))
        found = Serving(int(data["pid"]), str(data["sp_base"]), str(data["idp_base"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if _alive(found.pid) else None
