"""The tester's workspace: a directory with one SQLite database and PEM files.

Everything the tester crafts (IdP users, per-SP IdP settings, subscriptions and accounts,
provisioning rules, key pairs) lives here. Each save is one SQLite transaction and key files
are replaced atomically, so a crash leaves either the old or the new state, never half.

One program writes a workspace at a time (`harness.core.workspace_lock`): a second writer
gets a `WorkspaceError` naming the holder's pid; `Workspace(path, read_only=True)` opens it
beside the writer without the lock and refuses every save.

Values may carry two placeholders resolved when the servers start, because ports are only
known then: `{sp}` (the embedded SP's base URL) and `{mock_idp}` (the mock IdP's base URL).

The records and their JSON form are in `workspace_records`, the files on disk in
`workspace_files`, the servers' configuration built from a workspace in `workspace_servers`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from harness.core import key_journal, workspace_files, workspace_servers
from harness.core.certs import CertError, KeyPair, load_keypair
from harness.core.durable import private_tree
from harness.core.wal_watch import WalWatch
from harness.core.workspace_files import DB_NAME, FIXTURES, KEYS_DIR, SCHEMA_VERSION, SP_STATE_NAME
from harness.core.workspace_lock import WorkspaceLock, WorkspaceLocked
from harness.core.workspace_records import (
    IdPForSP,
    IdPProfile,
    Rule,
    SPProfile,
    WorkspaceBusy,
    WorkspaceError,
    _checked,
    _from,
    _sub_from_json,
    _sub_to_json,
    resolve,
)
from mock_idp.model import IdPConfig, IdPUser
from sp.model import SPConfig, Subscription

__all__ = [
    "DB_NAME",
    "FIXTURES",
    "KEYS_DIR",
    "IdPForSP",
    "IdPProfile",
    "Rule",
    "SPProfile",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceError",
    "default_workspace_dir",
    "resolve",
]


class Workspace:
    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path).expanduser().resolve()
        self._lock = threading.RLock()
        self._depth = 0  # nesting of _transaction()
        self.read_only = read_only
        self._writer: WorkspaceLock | None = None
        db_path = self.path / DB_NAME
        if not db_path.exists():
            raise WorkspaceError(f"{self.path} is not a workspace (no {DB_NAME}).")
        try:
            self._writer = WorkspaceLock(self.path) if not read_only else None
        except WorkspaceLocked as err:
            raise WorkspaceBusy(str(err), err.pid) from err
        if self._writer is not None:
            private_tree(self.path)  # also a workspace made before files were kept private
        self._recover()
        try:
            self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            version = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as err:
            self.close()
            raise WorkspaceError(f"{db_path} is not a readable workspace database ({err}).") from err
        if version is None or int(version[0]) > SCHEMA_VERSION:
            self.close()
            raise WorkspaceError(f"{db_path} was written by a newer or unknown version of the harness.")
        # revision(): what it last saw in the WAL index and SQLite's data_version then
        self._wal, self._wal_seen = WalWatch(str(db_path)), (None, 0)
        self._keys_path = str(self.keys_dir)

    # -- creating ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path) -> Workspace:
        """An empty workspace (IdP and SP profiles with defaults, an IdP signing key)."""
        from harness.core.certs import make_keypair

        p = workspace_files.new_database(path)
        ws = cls(p)
        if not (p / KEYS_DIR / "idp-signing.key.pem").exists():
            ws.save_keypair("idp-signing", make_keypair("Mock IdP signing", organization="Demo Corp"))
        if not (p / KEYS_DIR / "sp-signing.key.pem").exists():
            ws.save_keypair("sp-signing", make_keypair("Vendor SP signing", organization="Vendor"))
        ws.set_idp_profile(IdPProfile())
        ws.set_sp_profile(SPProfile())
        return ws

    @classmethod
    def from_json(cls, path: str | Path, data: dict[str, Any], keys_from: Path | None = None) -> Workspace:
        """Build a workspace from the JSON form (fixtures, exports); writes into a temp dir first."""
        target, staging = workspace_files.staging_for(path, keys_from)
        ws = cls.create(staging)
        ws.load_json(data)
        ws.close()
        workspace_files.move_into_place(staging, target)
        return cls(target)

    @classmethod
    def demo(cls, path: str | Path) -> Workspace:
        data = json.loads((FIXTURES / "workspace.json").read_text())
        return cls.from_json(path, data, keys_from=FIXTURES / KEYS_DIR)

    @classmethod
    def open_or_demo(cls, path: str | Path) -> Workspace:
        p = Path(path).expanduser()
        if (p / DB_NAME).exists():
            return cls(p)
        return cls.demo(p)

    def close(self) -> None:
        with self._lock:
            if getattr(self, "_wal", None) is not None:
                self._wal.close()  # before the connection: see WalWatch
            if getattr(self, "_db", None) is not None:
                self._db.close()
            if self._writer is not None:
                self._writer.release()

    def _recover(self) -> None:
        """Finish or undo a key pair save cut short by a crash; only whoever holds the writer lock may."""
        if self._writer is not None:
            key_journal.recover(self.keys_dir)
            return
        try:
            lock = WorkspaceLock(self.path)
        except (WorkspaceLocked, OSError):
            return  # the writer recovers when it opens; a read-only directory needs no recovery
        try:
            key_journal.recover(self.keys_dir)
        finally:
            lock.release()

    def _writable(self) -> None:
        if self.read_only:
            raise WorkspaceError(f"the workspace {self.path} is open read-only")

    def revision(self) -> tuple[int, int]:
        """Changes when another connection commits or a key file is replaced: cheap to poll per request.

        The servers ask before every request. SQLite's `data_version` is asked only when the
        WAL index says something was committed since the last time (`WalWatch`): the common
        case is a memory read and one stat, without the lock or a round through SQLite.
        """
        header = self._wal.header()
        seen_header, version = self._wal_seen
        if header is None or header != seen_header:
            with self._lock:
                version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            self._wal_seen = (header, version)
        try:
            keys = os.stat(self._keys_path).st_mtime_ns
        except OSError:
            keys = 0
        return version, keys

    @property
    def sp_state_path(self) -> Path:
        return self.path / SP_STATE_NAME

    @property
    def keys_dir(self) -> Path:
        return self.path / KEYS_DIR

    @property
    def tls_dir(self) -> Path:
        """The local CA and the servers' HTTPS certificate (harness.core.tls), apart from the
        SAML keys so that they never show up as signing keys."""
        return self.path / "tls"

    # -- the document store -------------------------------------------------------------------

    def _all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM doc WHERE kind=? ORDER BY pos, key", (kind,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _one(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM doc WHERE kind=? AND key=?", (kind, key)).fetchone()
        return json.loads(row[0]) if row else None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite transaction: all of it is saved or none. A nested use joins the outer one."""
        self._writable()
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _put(self, kind: str, key: str, data: dict[str, Any]) -> None:
        if not key:
            raise WorkspaceError(f"a {kind.replace('_', ' ')} needs a name")
        text = json.dumps(data, sort_keys=True)
        with self._transaction():
            pos = self._db.execute("SELECT pos FROM doc WHERE kind=? AND key=?", (kind, key)).fetchone()
            if pos is None:
                pos = self._db.execute("SELECT COALESCE(MAX(pos)+1, 0) FROM doc WHERE kind=?", (kind,)).fetchone()
            self._db.execute("INSERT OR REPLACE INTO doc VALUES (?,?,?,?)", (kind, key, pos[0], text))

    def _replace_all(self, kind: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM doc WHERE kind=?", (kind,))
            for i, (key, data) in enumerate(items):
                self._db.execute("INSERT INTO doc VALUES (?,?,?,?)", (kind, key, i, json.dumps(data, sort_keys=True)))

    def _delete(self, kind: str, key: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM doc WHERE kind=? AND key=?", (kind, key))

    # -- typed access ---------------------------------------------------------------------------

    def idp_profile(self) -> IdPProfile:
        return _from(IdPProfile, self._one("profile", "idp") or {})

    def set_idp_profile(self, p: IdPProfile) -> None:
        self._put("profile", "idp", asdict(p))

    def sp_profile(self) -> SPProfile:
        return _from(SPProfile, self._one("profile", "sp") or {})

    def set_sp_profile(self, p: SPProfile) -> None:
        self._put("profile", "sp", asdict(p))

    def users(self) -> list[IdPUser]:
        return [_from(IdPUser, d) for d in self._all("idp_user")]

    def user(self, username: str) -> IdPUser | None:
        d = self._one("idp_user", username)
        return _from(IdPUser, d) if d else None

    def save_user(self, user: IdPUser, *, old_username: str | None = None) -> None:
        if not user.username.strip():
            raise WorkspaceError("a user needs a username")
        with self._transaction():  # a rename is one step: a crash never loses the user
            if old_username and old_username != user.username:
                if self.user(user.username) is not None:
                    raise WorkspaceError(f"there is already a user {user.username!r}")
                self._delete("idp_user", old_username)
            self._put("idp_user", user.username, asdict(user))

    def delete_user(self, username: str) -> None:
        self._delete("idp_user", username)

    def idp_for_sps(self) -> list[IdPForSP]:
        return [_from(IdPForSP, d) for d in self._all("idp_sp")]

    def save_idp_for_sp(self, s: IdPForSP) -> None:
        self._put("idp_sp", s.entity_id, asdict(s))

    def delete_idp_for_sp(self, entity_id: str) -> None:
        self._delete("idp_sp", entity_id)

    def subscriptions(self) -> list[Subscription]:
        return [_sub_from_json(d) for d in self._all("subscription")]

    def subscription(self, idm_key: str) -> Subscription | None:
        d = self._one("subscription", idm_key)
        return _sub_from_json(d) if d else None

    def save_subscription(self, s: Subscription) -> None:
        for a in s.accounts:
            if a.saml_enabled and not s.nds_enabled:
                raise WorkspaceError(
                    f"SAML cannot be enabled for {a.login}: the subscription lacks the New Data Security Model"
                )
        logins = [a.login for a in s.accounts]
        if len(set(logins)) != len(logins):
            raise WorkspaceError("two accounts share a login")
        self._put("subscription", s.idm_key, _sub_to_json(s))

    def delete_subscription(self, idm_key: str) -> None:
        self._delete("subscription", idm_key)

    def rules(self) -> list[Rule]:
        return [_from(Rule, d) for d in self._all("rule")]

    def set_rules(self, rules: list[Rule]) -> None:
        self._replace_all("rule", [(f"{i:04d}", asdict(r)) for i, r in enumerate(rules)])

    def keypair_names(self) -> list[str]:
        if not self.keys_dir.is_dir():
            return []
        return sorted(p.name[: -len(".crt.pem")] for p in self.keys_dir.glob("*.crt.pem"))

    def keypair(self, name: str) -> KeyPair:
        try:
            return load_keypair(self.keys_dir, name)
        except CertError as err:
            raise WorkspaceError(str(err)) from err

    def save_keypair(self, name: str, kp: KeyPair) -> None:
        self._writable()
        try:
            key_journal.save_pair(self.keys_dir, name, kp)
        except (CertError, ValueError) as err:
            raise WorkspaceError(str(err)) from err

    # -- JSON form ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "idp": asdict(self.idp_profile()),
            "sp": asdict(self.sp_profile()),
            "users": [asdict(u) for u in self.users()],
            "idp_for_sps": [asdict(s) for s in self.idp_for_sps()],
            "subscriptions": [_sub_to_json(s) for s in self.subscriptions()],
            "rules": [asdict(r) for r in self.rules()],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            raise WorkspaceError("the workspace file is not a JSON object")
        try:
            with self._transaction():  # all or nothing
                if "idp" in data:
                    self.set_idp_profile(_checked(_from(IdPProfile, data["idp"])))
                if "sp" in data:
                    self.set_sp_profile(_checked(_from(SPProfile, data["sp"])))
                for u in data.get("users", []):
                    self.save_user(_checked(_from(IdPUser, u)))
                for s in data.get("idp_for_sps", []):
                    self.save_idp_for_sp(_checked(_from(IdPForSP, s)))
                for s in data.get("subscriptions", []):
                    self.save_subscription(_checked(_sub_from_json(s)))
                self.set_rules([_checked(_from(Rule, r)) for r in data.get("rules", [])])
        except (TypeError, AttributeError, KeyError, ValueError) as err:
            raise WorkspaceError(f"the workspace file has a malformed entry ({err})") from err

    # -- server configuration -----------------------------------------------------------------------
    # -- server configuration (harness.core.workspace_servers) ------------------------------------

    def idp_config(self, idp_base: str, sp_base: str) -> IdPConfig:
        return workspace_servers.idp_config(self, idp_base, sp_base)

    def sp_config(self, sp_base: str, idp_base: str) -> SPConfig:
        return workspace_servers.sp_config(self, sp_base, idp_base)

    def sp_encryption_cert(self, s: IdPForSP) -> bytes | None:
        """The certificate the mock IdP encrypts to for that SP (its metadata's, or a key pair's), or None."""
        return workspace_servers.sp_encryption_cert(self, s)

    def store_accounts(self, config: SPConfig) -> None:
        """Persist accounts changed through the SP's user API."""
        with self._transaction():
            for s in config.subscriptions:
                current = self.subscription(s.idm_key)
                if current is not None:
                    self.save_subscription(replace(current, accounts=s.accounts))


def default_workspace_dir() -> Path:
    base = (
        os.environ.get("SAML_HARNESS_HOME") or os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    )
    return Path(base) / "saml-harness" / "demo"
