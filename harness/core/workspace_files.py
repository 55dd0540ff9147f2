"""A workspace's files on disk: the SQLite schema a new workspace gets, and the staging directory
a workspace built from JSON is written into before it moves into place (never half a workspace)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from harness.core.durable import PRIVATE_DIR, private_file, private_tree
from harness.core.workspace_records import WorkspaceError

DB_NAME = "workspace.sqlite"
SP_STATE_NAME = "sp_state.sqlite"
KEYS_DIR = "keys"
SCHEMA_VERSION = 1
FIXTURES = Path(__file__).resolve().parent / "demo"  # fixtures/demo, also inside a built wheel


def new_database(path: str | Path) -> Path:
    """Write an empty workspace database into `path` (made private); the resolved directory."""
    p = Path(path).expanduser().resolve()
    if (p / DB_NAME).exists():
        raise WorkspaceError(f"{p} already holds a workspace.")
    p.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    private_tree(p)
    tmp = p / (DB_NAME + ".new")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    db = sqlite3.connect(str(tmp))
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE doc (kind TEXT NOT NULL, key TEXT NOT NULL, pos INTEGER NOT NULL DEFAULT 0, "
        "data TEXT NOT NULL, PRIMARY KEY (kind, key));"
    )
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    db.commit()
    db.close()
    os.replace(tmp, p / DB_NAME)
    return p


def staging_for(path: str | Path, keys_from: Path | None) -> tuple[Path, Path]:
    """(target, staging): a fresh staging directory beside `target`, holding the key pairs of `keys_from`."""
    target = Path(path).expanduser().resolve()
    if (target / DB_NAME).exists():
        raise WorkspaceError(f"{target} already holds a workspace.")
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    if keys_from is not None and keys_from.is_dir():
        shutil.copytree(keys_from, staging / KEYS_DIR)
        for f in (staging / KEYS_DIR).glob("*.key.pem"):
            f.chmod(0o600)
    return target, staging


def move_into_place(staging: Path, target: Path) -> None:
    """Replace an absent or empty `target` with the finished staging directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    private_tree(staging)
    if target.exists():
        if any(target.iterdir()):
            shutil.rmtree(staging, ignore_errors=True)
            raise WorkspaceError(f"{target} exists and is not empty.")
        target.rmdir()
    os.replace(staging, target)
