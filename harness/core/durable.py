"""Writing files so that a crash leaves the old content or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write via a temp file in the same directory so a crash never leaves half a key.

    mkstemp creates the file 0600 whatever the umask, so a key is never readable by others,
    not even for a moment; the mode is then set explicitly.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_tree(directory: Path) -> None:
    """Owner-only: `directory` and everything in it (a workspace holds passwords, TOTP secrets,
    session tokens and private keys). Symlinks are left alone, never followed."""
    directory = Path(directory)
    _chmod(str(directory), PRIVATE_DIR)
    for root, dirs, files in os.walk(directory):
        for d in dirs:
            _chmod(os.path.join(root, d), PRIVATE_DIR)
        for f in files:
            _chmod(os.path.join(root, f), PRIVATE_FILE)


def _chmod(path: str, mode: int) -> None:
    if os.path.islink(path):
        return
    try:
        os.chmod(path, mode)
    except FileNotFoundError:
        pass  # removed meanwhile (a temp file of another reader)


def private_file(path: Path) -> None:
    """Create `path` empty and owner-only if it is missing, so SQLite (which gives its -wal and
    -shm files the database's mode) and any other writer start from 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    os.close(fd)
