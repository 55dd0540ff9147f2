"""sp.store: outstanding requests are answered once, the replay cache survives a restart,
sessions and picks expire."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sp.store import SPStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sp.sqlite"


def test_request_is_taken_once(path: Path) -> None:
    s = SPStore(path)
    s.add_request("_r1", "b1", "1001", "/x", 60)
    assert s.peek_request("_r1") == {"browser": "b1", "idm_key": "1001", "relay_state": "/x"}
    assert s.take_request("_r1") == {"browser": "b1", "idm_key": "1001", "relay_state": "/x"}
    assert s.take_request("_r1") is None
    assert s.peek_request("_r1") is None
    assert s.count_requests() == 0


def test_only_the_latest_outstanding_requests_are_kept(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sp.store.MAX_OUTSTANDING", 5)
    s = SPStore(path)
    for i in range(5):  # up to the bound: nothing is dropped
        s.add_request(f"_r{i}", "b1", "1001", None, 60)
    assert s.count_requests() == 5
    for i in range(5, 12):
        s.add_request(f"_r{i}", "b1", "1001", None, 60)
    assert s.count_requests() == 5
    assert [i for i in range(12) if s.peek_request(f"_r{i}")] == [7, 8, 9, 10, 11]
    for i in range(7, 12):  # answered: the table empties, and rowids start again from 1
        s.take_request(f"_r{i}")
    s.add_request("_again", "b1", "1001", None, 60)
    assert s.count_requests() == 1 and s.peek_request("_again") is not None


def test_expired_request(path: Path) -> None:
    s = SPStore(path)
    s.add_request("_r1", "b1", "1001", None, -1)
    assert s.peek_request("_r1") is None
    assert s.take_request("_r1") is None


def test_only_one_of_many_racing_takes_wins(path: Path) -> None:
    s = SPStore(path)
    s.add_request("_r1", "b1", "1001", None, 60)
    won: list[dict] = []
    threads = [threading.Thread(target=lambda: won.append(s.take_request("_r1"))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([w for w in won if w]) == 1


FAR_FUTURE = 4_102_444_800.0  # 2100-01-01: an expiry no clock reading in a test run can reach


def test_replay_cache_survives_a_restart(path: Path) -> None:
    s = SPStore(path)
    assert s.remember_assertion("_a1", "1001", FAR_FUTURE)
    assert not s.remember_assertion("_a1", "1001", FAR_FUTURE)
    s.close()
    again = SPStore(path)
    assert again.seen_assertion("_a1")
    assert not again.remember_assertion("_a1", "1001", FAR_FUTURE)
    assert again.count_replay() == 1


class Clock:
    """The store's clock, set by the test: expiry is judged against it, never the wall clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: float = 1_800_000_000.0):
        self.now = now
        monkeypatch.setattr("sp.store.time.time", lambda: self.now)


def test_replay_entry_is_kept_at_least_a_minute(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    s = SPStore(path)
    s.remember_assertion("_a1", "1001", clock.now - 1000)  # already expired assertion
    clock.now += 45
    s._last_purge = 0
    s.add_request("_x", "b", "1001", None, 1)  # triggers a purge
    assert s.seen_assertion("_a1")


def test_expired_entries_are_purged(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    s = SPStore(path)
    s.remember_assertion("_a1", "1001", clock.now + 100)
    clock.now += 1000
    s._last_purge = 0
    s.add_request("_x", "b", "1001", None, 1)
    assert not s.seen_assertion("_a1")


def test_in_memory_store(tmp_path: Path) -> None:
    s = SPStore(None)
    assert s.path == ":memory:"
    assert s.remember_assertion("_a", "k", FAR_FUTURE)


def test_sessions_and_picks(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    s = SPStore(path)
    s.put_session("t1", {"login": "alice"}, 60)
    s.put_pick("p1", {"logins": ["a", "b"]}, 60)
    assert s.get_session("t1") == {"login": "alice"}
    assert s.get_pick("p1") == {"logins": ["a", "b"]}
    s.end_pick("p1")
    assert s.get_pick("p1") is None
    clock.now += 61
    assert s.get_session("t1") is None
    s.end_session("t1")
