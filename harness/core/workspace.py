"""The tester's workspace: a directory with one SQLite database and PEM files.

Everything the tester crafts (IdP users, per-SP IdP settings, subscriptions and accounts,
provisioning rules, key pairs) lives here. Each save is one SQLite transaction and key files
are replaced atomically, so a crash leaves either the old or the new state, never half.

One program writes a workspace at a time (`harness.core.workspace_lock`): a second writer
gets a `WorkspaceError` naming the holder's pid; `Workspace(path, read_only=True)` opens it
beside the writer without the lock and refuses every save.

Values may carry two placeholders resolved when the servers start, because ports are only
known then: `{sp}` (the embedded SP's base URL) and `{mock_idp}` (the mock IdP's base URL).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from harness.core import key_journal
from harness.core.certs import CertError, KeyPair, load_keypair
from harness.core.durable import PRIVATE_DIR, private_file, private_tree
from harness.core.workspace_lock import WorkspaceLock, WorkspaceLocked
from mock_idp.model import IdPConfig, IdPUser, SPSettings
from sp.model import (
    DEFAULT_ACS_PATH,
    DEFAULT_ENTITY_ID,
    DEFAULT_LOGIN_PATH,
    DEFAULT_SLO_PATH,
    Account,
    SPConfig,
    Subscription,
)

DB_NAME = "workspace.sqlite"
SP_STATE_NAME = "sp_state.sqlite"
KEYS_DIR = "keys"
SCHEMA_VERSION = 1
FIXTURES = Path(__file__).resolve().parent / "demo"  # fixtures/demo, also inside a built wheel


class WorkspaceError(Exception):
    """A workspace that cannot be opened or a value that cannot be saved, in plain words."""


class WorkspaceBusy(WorkspaceError):
    """Another harness holds the writer lock (`pid`): route the change through its control API."""

    def __init__(self, message: str, pid: int | None):
        super().__init__(message)
        self.pid = pid


@dataclass
class IdPProfile:
    entity_id: str = "https://idp.demo-corp.example/saml"
    signing_key: str = "idp-signing"
    rollover_key: str = ""  # during a rollover: the other key pair, whose certificate metadata lists too
    port: int = 8444
    accepted_time_diff: int = 60


@dataclass
class SPProfile:
    entity_id: str = DEFAULT_ENTITY_ID
    acs_path: str = DEFAULT_ACS_PATH
    login_path: str = DEFAULT_LOGIN_PATH
    port: int = 8443
    clock_skew: int = 60
    signing_key: str = "sp-signing"  # signs AuthnRequests (when a subscription says so) and Single Logout
    https: bool = False  # serve both the SP and the mock IdP over HTTPS (harness.core.tls)


@dataclass
class IdPForSP:
    """The mock IdP's settings for one SP (SPSettings without key material: keys are named)."""

    entity_id: str = DEFAULT_ENTITY_ID
    acs_url: str = "{sp}" + DEFAULT_ACS_PATH
    name: str = "Vendor SP (embedded)"
    acs_index: int = 0  # the index of acs_url in the SP's metadata
    acs_others: dict[str, str] = field(default_factory=dict)  # more HTTP-POST ACS of its metadata: index -> URL
    nameid_format: str = "unspecified"
    nameid_source: str = "username"
    attributes: list[str] = field(default_factory=lambda: ["uid", "mail", "givenName", "sn", "groups"])
    sign: str = "assertion"
    sig_hash: str = "sha256"
    digest_hash: str | None = None
    lifetime: int = 300
    clock_offset: int = 0
    signing_key: str | None = None  # None: the IdP's key
    default_relay_state: str = ""
    slo_url: str = "{sp}" + DEFAULT_SLO_PATH  # the SP's SingleLogoutService ("" : none)
    slo_binding: str = "redirect"
    sp_certificate: str = ""  # the SP's signing certificate, PEM; "" for the embedded SP: its own
    want_authn_requests_signed: bool = False
    encrypt_assertion: bool = False
    encrypt_name_id: bool = False
    encrypt_attributes: bool = False
    encryption_data_alg: str = "aes256-gcm"
    encryption_key_alg: str = "rsa-oaep-mgf1p"
    # The SP's encryption certificate: PEM text (from an external SP's metadata), else the
    # certificate of a workspace key pair (the embedded SP's subscription key, e.g. sp-encryption-4711).
    encryption_cert: str = ""
    encryption_key: str = ""


@dataclass
class Rule:
    """Provisioning: members of `group` get `role` and `scope` (first matching rule wins)."""

    group: str
    role: str
    scope: list[str] = field(default_factory=list)


def _from(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


_PLAIN = {"str": str, "bool": bool, "int": int}


def _checked(obj: Any) -> Any:
    """Refuse an imported entry whose fields have the wrong JSON types (a None URL, a list for a name)."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        kind = _PLAIN.get(f.type) or (
            list if f.type.startswith("list[") else dict if f.type.startswith("dict[") else None
        )
        items = value if kind is list and isinstance(value, list) else []
        if (kind is not None and not isinstance(value, kind)) or (
            f.type == "list[str]" and not all(isinstance(x, str) for x in items)
        ):
            shown = repr(value)[:60]
            raise WorkspaceError(f"the workspace file has a malformed {type(obj).__name__}: {f.name} is {shown}")
        for x in items:
            if hasattr(x, "__dataclass_fields__"):
                _checked(x)
    return obj


# PEM fields of a subscription, kept as text in JSON. A workspace written before a field existed
# reads it as empty: that is its migration (idp_cert_pem_next: no rollover in progress).
_SUB_PEMS = ("idp_cert_pem", "idp_cert_pem_next")


def _sub_to_json(s: Subscription) -> dict[str, Any]:
    d = asdict(s)
    for name in _SUB_PEMS:
        d[name] = d[name].decode("ascii", "replace") if d[name] else ""
    # The encryption key pair lives in keys/ (0600), named by `encryption_key`; never in the document.
    d.pop("encryption_key_pem", None)
    d.pop("encryption_cert_pem", None)
    return d


def _sub_from_json(d: dict[str, Any]) -> Subscription:
    d = dict(d)
    for name in _SUB_PEMS:
        d[name] = (d.get(name) or "").encode("ascii")
    d["accounts"] = [_from(Account, a) for a in d.get("accounts", [])]
    d.pop("encryption_key_pem", None)
    d.pop("encryption_cert_pem", None)
    return _from(Subscription, d)


def resolve(value: str, sp_base: str, idp_base: str) -> str:
    return value.replace("{sp}", sp_base).replace("{mock_idp}", idp_base)


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

    # -- creating ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path) -> Workspace:
        """An empty workspace (IdP and SP profiles with defaults, an IdP signing key)."""
        from harness.core.certs import make_keypair

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
        target = Path(path).expanduser().resolve()
        if (target / DB_NAME).exists():
            raise WorkspaceError(f"{target} already holds a workspace.")
        staging = target.with_name(target.name + ".staging")
        shutil.rmtree(staging, ignore_errors=True)
        if keys_from is not None and keys_from.is_dir():
            shutil.copytree(keys_from, staging / KEYS_DIR)
            for f in (staging / KEYS_DIR).glob("*.key.pem"):
                f.chmod(0o600)
        ws = cls.create(staging)
        ws.load_json(data)
        ws.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        private_tree(staging)
        if target.exists():
            if any(target.iterdir()):
                shutil.rmtree(staging, ignore_errors=True)
                raise WorkspaceError(f"{target} exists and is not empty.")
            target.rmdir()
        os.replace(staging, target)
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
        """Changes when another connection commits or a key file is replaced: cheap to poll per request."""
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
        try:
            keys = self.keys_dir.stat().st_mtime_ns
        except OSError:
            keys = 0
        return int(version), keys

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

    def idp_config(self, idp_base: str, sp_base: str) -> IdPConfig:
        prof = self.idp_profile()
        kp = self.keypair(prof.signing_key)
        sp_prof = self.sp_profile()
        sps = []
        for s in self.idp_for_sps():
            d = asdict(s)
            key_name = d.pop("signing_key")
            d.pop("encryption_cert")
            d.pop("encryption_key")
            d["acs_url"] = resolve(s.acs_url, sp_base, idp_base)
            d["acs_others"] = {k: resolve(v, sp_base, idp_base) for k, v in s.acs_others.items()}
            d["entity_id"] = resolve(s.entity_id, sp_base, idp_base)
            d["slo_url"] = resolve(s.slo_url, sp_base, idp_base)
            settings = _from(SPSettings, d)
            cert = s.sp_certificate.encode("ascii", "replace") if s.sp_certificate.strip() else None
            if cert is None and settings.entity_id == sp_prof.entity_id:
                cert = self._sp_keys(sp_prof)[1] or None  # the embedded SP: its own signing certificate
            settings = replace(settings, sp_cert_pem=cert)
            if key_name:
                other = self.keypair(key_name)
                settings = replace(settings, key_pem=other.key_pem, cert_pem=other.cert_pem)
            sps.append(replace(settings, encryption_cert_pem=self.sp_encryption_cert(s)))
        return IdPConfig(
            entity_id=prof.entity_id,
            base_url=idp_base,
            key_pem=kp.key_pem,
            cert_pem=kp.cert_pem,
            users=self.users(),
            sps=sps,
            accepted_time_diff=prof.accepted_time_diff,
            other_cert_pem=(
                self.keypair(prof.rollover_key).cert_pem if prof.rollover_key in self.keypair_names() else None
            ),
        )

    def sp_config(self, sp_base: str, idp_base: str) -> SPConfig:
        prof = self.sp_profile()
        subs = []
        for s in self.subscriptions():
            subs.append(
                replace(
                    s,
                    idp_sso_url=resolve(s.idp_sso_url, sp_base, idp_base),
                    exit_url=resolve(s.exit_url, sp_base, idp_base),
                    idp_entity_id=resolve(s.idp_entity_id, sp_base, idp_base),
                    idp_slo_url=resolve(s.idp_slo_url, sp_base, idp_base),
                    **self._encryption_pems(s),
                )
            )
        key_pem, cert_pem = self._sp_keys(prof)
        return SPConfig(
            key_pem=key_pem,
            cert_pem=cert_pem,
            base_url=sp_base,
            entity_id=prof.entity_id,
            acs_path=prof.acs_path,
            login_path=prof.login_path,
            subscriptions=subs,
            clock_skew=prof.clock_skew,
        )

    def _sp_keys(self, prof: SPProfile) -> tuple[bytes, bytes]:
        """The embedded SP's signing key pair, or empty when the workspace has none (it then cannot sign)."""
        if not prof.signing_key or prof.signing_key not in self.keypair_names():
            return b"", b""
        kp = self.keypair(prof.signing_key)
        return kp.key_pem, kp.cert_pem
    def sp_encryption_cert(self, s: IdPForSP) -> bytes | None:
        """The certificate the mock IdP encrypts to for that SP (its metadata's, or a key pair's), or None."""
        if s.encryption_cert.strip():
            return s.encryption_cert.encode("ascii", "replace")
        if s.encryption_key and s.encryption_key in self.keypair_names():
            try:
                return self.keypair(s.encryption_key).cert_pem
            except WorkspaceError:  # a broken key pair file: the IdP then says encryption lacks a certificate
                return None
        return None

    def _encryption_pems(self, s: Subscription) -> dict[str, bytes]:
        """The subscription's encryption key pair, read from keys/ (none when it is not there or broken:
        the SP then refuses encrypted assertions, `encrypted-assertion-unsupported`, and still serves)."""
        if not s.encryption_key or s.encryption_key not in self.keypair_names():
            return {}
        try:
            kp = self.keypair(s.encryption_key)
        except WorkspaceError:
            return {}
        return {"encryption_key_pem": kp.key_pem, "encryption_cert_pem": kp.cert_pem}

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
