"""One writer per workspace: an exclusive `flock` on `workspace.lock` inside the workspace.

The desktop app, `saml-harness serve`, `certs make` and the like open a workspace as its
writer. A second writer on the same directory (another app window, another process) is
refused with a `WorkspaceLocked` error naming the holder's pid, instead of two programs
interleaving saves. Readers (`Workspace(path, read_only=True)`, which `saml-harness flow`
uses) take no lock and may run beside the writer: SQLite keeps their reads consistent.

The kernel drops an flock when its holder dies, even by `kill -9`, so a crash never leaves
a stale lock behind; the pid written in the file is only there to name the holder. The lock
is per open file, so two `Workspace` objects in one process exclude each other too.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path

LOCK_NAME = "workspace.lock"


class WorkspaceLocked(Exception):
    """Another harness holds the workspace's writer lock."""

    def __init__(self, path: Path, pid: int | None):
        holder = f"pid {pid}" if pid else "pid unknown"
        if pid == os.getpid():
            message = f"the workspace is already open in this harness ({holder}): {path}"
        else:
            message = (
                f"the workspace is open in another harness ({holder}): {path}. Close it there, or open it read-only."
            )
        super().__init__(message)
        self.path = path
        self.pid = pid


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


class WorkspaceLock:
    """Hold the writer lock of the workspace at `directory` until `release()` (or garbage collection)."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / LOCK_NAME
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise WorkspaceLocked(Path(directory), pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd
        # Closing the descriptor releases the lock; a forgotten Workspace must not keep it forever.
        self._finalizer = weakref.finalize(self, os.close, fd)

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def release(self) -> None:
        if self._finalizer.alive:
            self._finalizer()  # closes the fd: the kernel drops the lock
