"""harness.core.wal_watch: the WAL index header changes with every commit of any connection, not
with reads; a database not in WAL mode has none; a closed watch answers None, never crashes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from harness.core.wal_watch import WalWatch


def _wal_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    return db


def test_every_commit_of_another_connection_changes_the_header_and_reads_do_not(tmp_path: Path) -> None:
    owner = _wal_db(tmp_path / "db")
    watch = WalWatch(str(tmp_path / "db"))
    other = sqlite3.connect(str(tmp_path / "db"), isolation_level=None)
    seen = [watch.header()]
    for i in range(5):
        other.execute("INSERT INTO t VALUES (?)", (i,))
        seen.append(watch.header())
        assert owner.execute("SELECT count(*) FROM t").fetchone() == (i + 1,)
        assert other.execute("SELECT count(*) FROM t").fetchone() == (i + 1,)
        assert watch.header() == seen[-1]  # reading changed nothing
    assert None not in seen and len(set(seen)) == len(seen)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.execute("INSERT INTO t VALUES (9)")  # the WAL starts over: still a new header
    assert watch.header() not in seen
    watch.close()
    assert watch.header() is None
    other.close()
    owner.close()


def test_a_database_not_in_wal_mode_has_no_header(tmp_path: Path) -> None:
    db = sqlite3.connect(str(tmp_path / "db"), isolation_level=None)
    db.execute("CREATE TABLE t (x)")
    assert WalWatch(str(tmp_path / "db")).header() is None
    db.close()
