"""Replace a key pair's two files (NAME.key.pem, NAME.crt.pem) as one step, even across a crash.

Each file alone is written atomically, but a kill between the two renames would leave a new key
beside an old certificate: a pair that no longer matches, neither the old state nor the new. So
both files are first written into `keys/.pending/`, then a commit marker is written, then both
are moved into place and the marker removed. `recover()` (run by the workspace's writer when it
opens) finishes a committed move and discards an uncommitted one.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.core.certs import KeyPair, save_keypair
from harness.core.durable import atomic_write, fsync_dir

PENDING = ".pending"


def _files(name: str) -> tuple[str, str]:
    return f"{name}.key.pem", f"{name}.crt.pem"


def _move_into_place(keys_dir: Path, name: str) -> None:
    pending = keys_dir / PENDING
    for f in _files(name):
        if (pending / f).exists():
            os.replace(pending / f, keys_dir / f)
    fsync_dir(keys_dir)
    (pending / f"{name}.commit").unlink(missing_ok=True)
    fsync_dir(pending)


def save_pair(keys_dir: Path, name: str, kp: KeyPair) -> None:
    """Write the pair so that readers after a crash see the old pair or the new one, never a mix."""
    pending = keys_dir / PENDING
    save_keypair(kp, pending, name, cert_mode=0o600)  # validates the name; each file atomic, owner-only
    atomic_write(pending / f"{name}.commit", b"commit\n", 0o600)  # then the directory is synced
    _move_into_place(keys_dir, name)


def recover(keys_dir: Path) -> list[str]:
    """Finish committed pair saves, drop uncommitted ones and stray temp files; returns what was done."""
    done: list[str] = []
    pending = keys_dir / PENDING
    if pending.is_dir():
        for marker in sorted(pending.glob("*.commit")):
            name = marker.name[: -len(".commit")]
            _move_into_place(keys_dir, name)
            done.append(f"finished saving the key pair {name!r}")
        for leftover in pending.iterdir():
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                done.append(f"dropped the unfinished {leftover.name}")
    if keys_dir.is_dir():
        for tmp in keys_dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    return done
