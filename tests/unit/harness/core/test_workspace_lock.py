"""One writer per workspace: a second writer is refused by name (pid), readers run beside it."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.core.workspace import Workspace, WorkspaceError
from harness.core.workspace_lock import LOCK_NAME
from mock_idp.model import IdPUser

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "ws"
    Workspace.demo(p).close()
    return p


def test_second_writer_in_the_same_process_is_refused(path):
    first = Workspace(path)
    with pytest.raises(WorkspaceError, match=rf"already open in this harness \(pid {os.getpid()}\)"):
        Workspace(path)
    first.close()
    again = Workspace(path)  # closing released it
    again.close()


def test_a_forgotten_writer_releases_the_lock_when_collected(path):
    Workspace(path).save_user(IdPUser("zoe", "pw"))  # never closed
    gc.collect()
    ws = Workspace(path)
    assert ws.user("zoe") is not None
    ws.close()


def test_reader_beside_the_writer_sees_saves_and_cannot_write(path):
    writer = Workspace(path)
    reader = Workspace(path, read_only=True)
    writer.save_user(IdPUser("zoe", "pw1"))
    assert reader.user("zoe").password == "pw1"
    for attempt in (
        lambda: reader.save_user(IdPUser("zoe", "pw2")),
        lambda: reader.delete_user("alice"),
        lambda: reader.set_rules([]),
        lambda: reader.save_keypair("x", writer.keypair("idp-signing")),
    ):
        with pytest.raises(WorkspaceError, match="read-only"):
            attempt()
    assert writer.user("zoe").password == "pw1" and not (path / "keys" / "x.key.pem").exists()
    reader.close()
    writer.close()


def test_lock_file_is_private(path):
    ws = Workspace(path)
    assert (path / LOCK_NAME).stat().st_mode & 0o777 == 0o600
    assert (path / LOCK_NAME).read_text().strip() == str(os.getpid())
    ws.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from harness.core.workspace import Workspace
    ws = Workspace(sys.argv[1])
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_another_process_holds_it_until_killed(path):
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceError, match=rf"open in another harness \(pid {child.pid}\)"):
            Workspace(path)
        reader = Workspace(path, read_only=True)  # reading beside it is fine
        assert reader.user("alice") is not None
        reader.close()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        ws = Workspace(path)  # the kernel dropped the lock with the process: nothing stale
        ws.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()


def test_cli_writer_command_refused_and_flow_runs_beside_a_writer(path, capsys):
    from harness.core.cli import main

    holder = Workspace(path)
    try:
        assert main(["--workspace", str(path), "certs", "make", "extra"]) == 2
        assert f"already open in this harness (pid {os.getpid()})" in capsys.readouterr().err
        assert main(["--workspace", str(path), "flow", "sp", "--user", "alice"]) == 0
        assert "session opened for alice" in capsys.readouterr().out
    finally:
        holder.close()
