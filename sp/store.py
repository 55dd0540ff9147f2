"""The SP's state in SQLite: outstanding AuthnRequests, the replay cache, sessions, picks.

All of it survives a restart (a replayed Response is refused after one). One connection,
WAL journal, a lock: simple and safe under the threaded server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outstanding (id TEXT PRIMARY KEY, browser TEXT NOT NULL, idm_key TEXT NOT NULL,
    relay_state TEXT, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS replay (assertion_id TEXT PRIMARY KEY, idm_key TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS picks (token TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS logouts (token TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS saml_sessions (token TEXT PRIMARY KEY, idm_key TEXT NOT NULL, name_id TEXT NOT NULL,
    session_index TEXT NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS saml_sessions_by_name ON saml_sessions (idm_key, name_id);
"""

# Anyone may GET the login URL, and each GET leaves an outstanding request for `request_lifetime`
# (10 min): unbounded, a flood of ~900 requests a second would grow the table (and the file) by
# gigabytes with long RelayStates. Only the most recent MAX_OUTSTANDING are kept: a flood can at
# worst push out a request still waiting, which is refused as unknown and simply retried.
MAX_OUTSTANDING = 20_000


class SPStore:
    def __init__(self, path: str | Path | None):
        self.path = str(path) if path else ":memory:"
        self._lock = threading.Lock()
        if self.path != ":memory:":
            # Session tokens and the replay cache: owner-only. SQLite gives -wal/-shm this mode too.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
            os.chmod(self.path, 0o600)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._last_purge = 0.0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _purge(self, now: float) -> None:
        if now - self._last_purge < 30:
            return
        self._last_purge = now
        for table in ("outstanding", "replay", "sessions", "picks", "logouts", "saml_sessions"):
            self._db.execute(f"DELETE FROM {table} WHERE expires < ?", (now,))

    # -- outstanding requests -------------------------------------------------------------

    def add_request(self, request_id: str, browser: str, idm_key: str, relay_state: str | None, ttl: float) -> None:
        now = time.time()
        with self._lock:
            self._purge(now)
            cur = self._db.execute(
                "INSERT OR REPLACE INTO outstanding VALUES (?,?,?,?,?)",
                (request_id, browser, idm_key, relay_state, now + ttl),
            )
            # rowids grow with each insert, so this drops whatever came before the last
            # MAX_OUTSTANDING inserts, through the rowid index (no scan, no count). Below that
            # rowid nothing can qualify: no statement (a table emptied by answers restarts at 1).
            oldest_kept = (cur.lastrowid or 0) - MAX_OUTSTANDING
            if oldest_kept > 0:
                self._db.execute("DELETE FROM outstanding WHERE rowid <= ?", (oldest_kept,))

    def take_request(self, request_id: str) -> dict[str, Any] | None:
        """Remove and return an unexpired outstanding request: each may be answered once."""
        with self._lock:
            row = self._db.execute(
                "DELETE FROM outstanding WHERE id=? RETURNING browser, idm_key, relay_state, expires", (request_id,)
            ).fetchone()
        if row is None or row[3] < time.time():
            return None
        return {"browser": row[0], "idm_key": row[1], "relay_state": row[2]}

    def peek_request(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT browser, idm_key, relay_state, expires FROM outstanding WHERE id=?", (request_id,)
            ).fetchone()
        if row is None or row[3] < time.time():
            return None
        return {"browser": row[0], "idm_key": row[1], "relay_state": row[2]}

    def count_requests(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outstanding").fetchone()[0]

    # -- replay cache ---------------------------------------------------------------------

    def remember_assertion(self, assertion_id: str, idm_key: str, expires: float) -> bool:
        """Record an assertion ID; False if it was already seen (a replay)."""
        now = time.time()
        with self._lock:
            self._purge(now)
            cur = self._db.execute(
                "INSERT OR IGNORE INTO replay VALUES (?,?,?)", (assertion_id, idm_key, max(expires, now + 60))
            )
            return cur.rowcount == 1

    def seen_assertion(self, assertion_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM replay WHERE assertion_id=?", (assertion_id,)).fetchone() is not None

    def count_replay(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM replay").fetchone()[0]

    # -- sessions and picks ---------------------------------------------------------------

    def _put(self, table: str, token: str, data: dict[str, Any], ttl: float) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO {table} VALUES (?,?,?)", (token, json.dumps(data), time.time() + ttl)
            )

    def _get(self, table: str, token: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(f"SELECT data, expires FROM {table} WHERE token=?", (token,)).fetchone()
        if row is None or row[1] < time.time():
            return None
        return json.loads(row[0])

    def _delete(self, table: str, token: str) -> None:
        with self._lock:
            self._db.execute(f"DELETE FROM {table} WHERE token=?", (token,))

    def put_session(self, token: str, data: dict[str, Any], ttl: float) -> None:
        """A session; one opened by SAML (with a `name_id`) is also indexed for Single Logout."""
        self._put("sessions", token, data, ttl)
        if data.get("name_id"):
            with self._lock:
                self._db.execute(
                    "INSERT OR REPLACE INTO saml_sessions VALUES (?,?,?,?,?)",
                    (token, data["subscription"], data["name_id"], data.get("session_index") or "", time.time() + ttl),
                )

    def sessions_of(self, idm_key: str, name_id: str) -> list[tuple[str, str]]:
        """(token, SessionIndex) of each live SAML session of `name_id` in the subscription."""
        with self._lock:
            rows = self._db.execute(
                "SELECT token, session_index FROM saml_sessions WHERE idm_key=? AND name_id=? AND expires>=?",
                (idm_key, name_id, time.time()),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def get_session(self, token: str) -> dict[str, Any] | None:
        return self._get("sessions", token)

    def end_session(self, token: str) -> None:
        self._delete("sessions", token)
        self._delete("saml_sessions", token)

    # -- Single Logout requests the SP sent and awaits an answer to ---------------------------

    def put_logout(self, request_id: str, data: dict[str, Any], ttl: float) -> None:
        self._put("logouts", request_id, data, ttl)

    def peek_logout(self, request_id: str) -> dict[str, Any] | None:
        """An unexpired outstanding LogoutRequest, left in place (taken once its answer holds)."""
        return self._get("logouts", request_id)

    def take_logout(self, request_id: str) -> dict[str, Any] | None:
        """Remove and return an unexpired outstanding LogoutRequest: each is answered once."""
        with self._lock:
            row = self._db.execute(
                "DELETE FROM logouts WHERE token=? RETURNING data, expires", (request_id,)
            ).fetchone()
        if row is None or row[1] < time.time():
            return None
        return json.loads(row[0])

    def put_pick(self, token: str, data: dict[str, Any], ttl: float) -> None:
        self._put("picks", token, data, ttl)

    def get_pick(self, token: str) -> dict[str, Any] | None:
        return self._get("picks", token)

    def end_pick(self, token: str) -> None:
        self._delete("picks", token)
