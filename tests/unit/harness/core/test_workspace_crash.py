"""A hard kill in the middle of saves leaves the workspace intact, with the old or the new state.

A child process saves a user, a subscription and a key pair in a loop and reports each finished
round; it is killed with SIGKILL at a random moment, several times. Each time the workspace must
open (as a writer: no stale lock), pass SQLite's integrity check, and hold for each item either
the last reported round or the one in flight, never anything else, never a key that does not
match its certificate. The key pair journal's crash states are also replayed deterministically.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.core import key_journal
from harness.core.certs import KeyPair, load_keypair, make_keypair, save_keypair
from harness.core.workspace import Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parents[4]
ROUNDS = 6

SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from harness.core.certs import load_keypair
    from harness.core.workspace import Workspace
    from mock_idp.model import IdPUser

    ws = Workspace(sys.argv[1])
    pairs = [load_keypair(Path(sys.argv[2]), f"p{i}") for i in range(3)]
    zoe = ws.user("zoe")
    i = int(zoe.extra["n"]) if zoe else 0
    sub = ws.subscription("4711")
    print("ready", flush=True)
    while True:
        i += 1
        ws.save_user(IdPUser("zoe", f"pw{i}", extra={"n": str(i)}))
        sub.name = f"S{i}"
        ws.save_subscription(sub)
        ws.save_keypair("rot", pairs[i % 3])
        print(i, flush=True)
    """
)


def run_and_kill(args: list[str], delay: float, *, wait_for_progress: bool) -> list[int]:
    """Start a saver, SIGKILL it `delay` seconds after it is ready (or after its first finished
    round), and return the round numbers it reported as finished."""
    with subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE, text=True, cwd=ROOT) as child:
        try:
            assert child.stdout.readline().strip() == "ready"
            first = child.stdout.readline() if wait_for_progress else ""
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            out = child.stdout.read()  # through the same buffer as readline (communicate() would bypass it)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
    assert child.returncode == -signal.SIGKILL
    return [int(x) for x in (first + out).split() if x.isdigit()]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> tuple[Path, list[KeyPair]]:
    d = tmp_path_factory.mktemp("pairs")
    made = [make_keypair(f"rotating {i}", kind="ec") for i in range(3)]
    for i, kp in enumerate(made):
        save_keypair(kp, d, f"p{i}")
    return d, made


def state(path: Path, pairs: list[KeyPair]) -> tuple[int, int, int]:
    """(user round, subscription round, key pair round mod 3) of an intact workspace."""
    db = sqlite3.connect(path / "workspace.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    ws = Workspace(path)  # a writer: the killed child's lock is gone; recovery runs here
    try:
        zoe = ws.user("zoe")
        n_user = int(zoe.extra["n"]) if zoe else 0
        assert zoe is None or zoe.password == f"pw{n_user}"
        name = ws.subscription("4711").name
        n_sub = int(name[1:]) if name.startswith("S") else 0
        assert len(ws.subscription("4711").accounts) == 7  # the rest of the record is whole
        if "rot" in ws.keypair_names():
            kp = ws.keypair("rot")  # raises if key and certificate do not match
            n_key = [p.cert_pem for p in pairs].index(kp.cert_pem)
            assert kp.key_pem == pairs[n_key].key_pem
            assert (ws.keys_dir / "rot.key.pem").stat().st_mode & 0o777 == 0o600
        else:
            n_key = -1
        assert not list((ws.keys_dir / key_journal.PENDING).glob("*"))  # finished or dropped on open
        assert not list(ws.keys_dir.glob(".*.tmp"))
    finally:
        ws.close()
    return n_user, n_sub, n_key


def test_kill_during_saves_leaves_old_or_new_state(tmp_path, pairs):
    pairs_dir, made = pairs
    path = tmp_path / "ws"
    Workspace.demo(path).close()
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    prev = (0, 0, -1)  # the demo: no user zoe, subscription not renamed, no key pair "rot"
    progressed = 0
    for round_ in range(ROUNDS):
        # Every other round waits for a finished round first, so progress is certain on a slow disk too.
        reported = run_and_kill(
            [SAVER, str(path), str(pairs_dir)], rng.uniform(0.0, 0.25), wait_for_progress=bool(round_ % 2)
        )
        progressed += len(reported)
        if reported:  # round d finished, round d + 1 may have been cut anywhere
            d = reported[-1]
            allowed = ({d, d + 1}, {d, d + 1}, {d % 3, (d + 1) % 3})
        else:  # killed during its first round: each item is as before or from that round
            b = prev[0]
            allowed = ({b, b + 1}, {prev[1], b + 1}, {prev[2], (b + 1) % 3})
        found = state(path, made)
        context = f"seed {seed}, round {round_}: reported {reported[-3:]}, before {prev}, found {found}"
        for value, ok in zip(found, allowed, strict=True):
            assert value in ok, context
        assert found[1] <= found[0], context  # the user is saved before the subscription
        prev = found
    assert progressed > 0, f"seed {seed}: the child never finished a save before being killed"


# -- the key pair journal, crash state by crash state ------------------------------------------


@pytest.fixture
def keys(tmp_path, pairs) -> tuple[Path, KeyPair, KeyPair]:
    _, made = pairs
    d = tmp_path / "keys"
    key_journal.save_pair(d, "idp", made[0])
    return d, made[0], made[1]


def test_save_pair_writes_both_files_owner_only(keys):
    d, old, _ = keys
    assert load_keypair(d, "idp") == old
    assert (d / "idp.key.pem").stat().st_mode & 0o777 == 0o600
    assert (d / "idp.crt.pem").stat().st_mode & 0o777 == 0o600  # every workspace file is owner-only
    assert not list((d / key_journal.PENDING).iterdir())


def test_crash_before_commit_keeps_the_old_pair(keys):
    d, old, new = keys
    save_keypair(new, d / key_journal.PENDING, "idp")  # both written, no commit marker
    assert key_journal.recover(d)
    assert load_keypair(d, "idp") == old
    assert not list((d / key_journal.PENDING).iterdir())


def test_crash_between_the_two_renames_finishes_the_new_pair(keys):
    d, old, new = keys
    pending = d / key_journal.PENDING
    save_keypair(new, pending, "idp")
    (pending / "idp.commit").write_text("commit\n")
    os.replace(pending / "idp.key.pem", d / "idp.key.pem")  # the new key is in place, the old cert still is
    with pytest.raises(ValueError, match="does not match"):
        load_keypair(d, "idp")  # what a crash here would leave without the journal
    key_journal.recover(d)
    assert load_keypair(d, "idp") == new


def test_workspace_writer_recovers_on_open(tmp_path, pairs):
    _, made = pairs
    ws = Workspace.demo(tmp_path / "ws")
    ws.save_keypair("rot", made[0])
    pending = ws.keys_dir / key_journal.PENDING
    save_keypair(made[1], pending, "rot")
    (pending / "rot.commit").write_text("commit\n")
    os.replace(pending / "rot.crt.pem", ws.keys_dir / "rot.crt.pem")
    (ws.keys_dir / ".rot.key.pem.abc.tmp").write_bytes(b"half a key")
    ws.close()
    reader = Workspace(tmp_path / "ws", read_only=True)  # nobody holds the lock: even a reader recovers
    assert reader.keypair("rot") == made[1]
    assert not list(reader.keys_dir.glob(".*.tmp"))
    reader.close()


def test_save_keypair_refuses_a_bad_name(tmp_path, pairs):
    ws = Workspace.demo(tmp_path / "ws")
    with pytest.raises(WorkspaceError):
        ws.save_keypair("../evil", pairs[1][0])
    ws.close()


# -- the SP's state file in the workspace ----------------------------------------------------------

SP_WRITER = textwrap.dedent(
    """
    import sys
    from sp.store import SPStore

    store = SPStore(sys.argv[1])
    start = store.count_replay()
    print("ready", flush=True)
    i = start
    while True:
        i += 1
        store.add_request(f"_req{i}", "browser", "4711", None, 600)
        store.remember_assertion(f"_a{i}", "4711", 4e9)
        store.put_session(f"tok{i}", {"login": f"user{i}"}, 3600)
        store.take_request(f"_req{i}")
        print(i, flush=True)
    """
)


def test_kill_during_sp_state_writes_keeps_every_finished_login(tmp_path):
    from sp.store import SPStore

    path = tmp_path / "sp_state.sqlite"
    for round_ in range(3):
        done = run_and_kill([SP_WRITER, str(path)], 0.05 * round_, wait_for_progress=True)[-1]
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        store = SPStore(path)
        try:
            assert done <= store.count_replay() <= done + 1
            for i in (1, done):
                assert store.seen_assertion(f"_a{i}")  # a replay is still refused after the crash
                assert store.get_session(f"tok{i}") == {"login": f"user{i}"}
                assert store.peek_request(f"_req{i}") is None  # answered requests stay answered
            assert store.count_requests() <= round_ + 1  # at most the one in flight at each kill
        finally:
            store.close()
