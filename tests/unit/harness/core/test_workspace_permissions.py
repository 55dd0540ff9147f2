"""A workspace holds passwords, TOTP secrets, session tokens and private keys: owner-only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harness.core.certs import make_keypair
from harness.core.provision import save_state
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from sp.store import SPStore


@pytest.fixture(autouse=True)
def _permissive_umask():
    """The usual umask (files 0644, directories 0755): the workspace must not rely on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        if not p.is_symlink():
            out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


def _assert_private(root: Path) -> None:
    for name, mode in _modes(root).items():
        want = 0o700 if (root / name).is_dir() else 0o600
        assert mode == want, f"{name}: {oct(mode)}"


def test_everything_a_workspace_creates_is_owner_only(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    try:
        ws.save_keypair("extra", make_keypair("Extra"))
        save_state(ws, "embedded", {"alice"})
        with Servers(ws, sp_port=0, idp_port=0):
            pass  # the SP's state (sessions, replay cache) is created as the servers start
        names = set(_modes(ws.path))
        assert {"workspace.sqlite", "sp_state.sqlite", "keys/extra.key.pem", "keys/extra.crt.pem"} <= names
        _assert_private(ws.path)
    finally:
        ws.close()


def test_a_copy_made_by_save_as_is_owner_only(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    try:
        copy = Workspace.from_json(tmp_path / "copy", ws.to_json(), keys_from=ws.keys_dir)
        copy.close()
        _assert_private(tmp_path / "copy")
    finally:
        ws.close()


def test_an_older_workspace_is_made_private_when_opened_for_writing(tmp_path):
    Workspace.demo(tmp_path / "ws").close()
    root = tmp_path / "ws"
    os.chmod(root, 0o755)
    for p in root.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    Workspace(root, read_only=True).close()
    assert stat.S_IMODE(root.stat().st_mode) == 0o755  # a reader changes nothing
    Workspace(root).close()
    _assert_private(root)


def test_the_sp_store_creates_its_file_owner_only(tmp_path):
    store = SPStore(tmp_path / "state.sqlite")
    store.close()
    for p in tmp_path.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
