"""Has any connection committed to a WAL-mode SQLite database? Answered without a system call.

SQLite's WAL index (the `-shm` file every connection maps) starts with a header that each
commit rewrites: a change counter, the last valid frame, checksums and salts
(https://www.sqlite.org/walformat.html, "The WAL-Index Header"). Mapping those bytes read-only
and comparing them with the last seen copy tells "nothing was committed since" for the cost of
a memory read: no lock, no syscall, no release of the interpreter lock. When they differ, the
caller asks SQLite itself (`PRAGMA data_version`), so a false alarm (a rollback, a commit of
its own connection) costs one precise check and never a wrong answer.
"""

from __future__ import annotations

import mmap
import os
import threading

_HEADER_BYTES = 96  # the two copies of the WAL-index header; the checkpoint info after them changes on reads


class WalWatch:
    """The WAL-index header of the database at `db_path`, while its owner keeps a connection open.

    The mapping is made on first use (the `-shm` file exists once a connection has read in WAL
    mode) and must be closed before the owner's last connection: SQLite may truncate the file
    when the next first connection opens it, and reading a truncated mapping is a crash.
    """

    def __init__(self, db_path: str) -> None:
        self._shm_path = db_path + "-shm"
        self._map: mmap.mmap | None = None
        self._closed = False
        self._lock = threading.Lock()

    def header(self) -> bytes | None:
        """The header as it is now; None when the database has no WAL index (not in WAL mode)."""
        m = self._map
        if m is None:
            m = self._open()
            if m is None:
                return None
        try:
            return m[:_HEADER_BYTES]
        except ValueError:  # closed meanwhile
            return None

    def _open(self) -> mmap.mmap | None:
        with self._lock:
            if self._map is not None or self._closed:
                return self._map
            try:
                fd = os.open(self._shm_path, os.O_RDONLY)
            except OSError:
                return None
            try:
                if os.fstat(fd).st_size < _HEADER_BYTES:
                    return None
                self._map = mmap.mmap(fd, _HEADER_BYTES, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                return None
            finally:
                os.close(fd)
            return self._map

    def close(self) -> None:
        with self._lock:
            self._closed = True
            m, self._map = self._map, None
        if m is not None:
            m.close()
