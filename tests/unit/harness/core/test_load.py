"""The load report's arithmetic and its consistency checks (they must catch what they claim to)."""

from __future__ import annotations

from types import SimpleNamespace

from harness.core.load import LoadResult, Login, _check_state


def result(*logins: Login, kind: str = "sp") -> LoadResult:
    return LoadResult(kind, "4711", ["alice"], 4, 2.0, list(logins))


def done(i: int, user: str = "alice", login: str = "alice", *, started: float = 0.0, seconds: float = 0.1) -> Login:
    return Login(
        i,
        user,
        login,
        "session",
        started=started,
        seconds=seconds,
        login=login,
        request_id=f"_req{i}",
        assertion_id=f"_a{i}",
        session_token=f"tok{i}",
    )


class FakeStore:
    def __init__(self, seen=(), outstanding=(), sessions=None):
        self.seen, self.outstanding, self.sessions = set(seen), set(outstanding), sessions or {}

    def seen_assertion(self, a: str) -> bool:
        return a in self.seen

    def peek_request(self, r: str) -> dict | None:
        return {"idm_key": "4711"} if r in self.outstanding else None

    def get_session(self, token: str) -> dict | None:
        return self.sessions.get(token)


def check(r: LoadResult, store: FakeStore) -> list[str]:
    _check_state(SimpleNamespace(sp_app=SimpleNamespace(store=store)), r)
    return r.state_problems


def test_percentiles_are_nearest_rank():
    r = result(*(done(i, seconds=i / 100) for i in range(1, 101)))
    assert (r.percentile(50), r.percentile(90), r.percentile(99), r.percentile(100)) == (0.5, 0.9, 0.99, 1.0)
    assert r.throughput == 50.0
    assert result().percentile(50) == 0.0


def test_peak_overlap_counts_logins_in_progress_together():
    r = result(done(1, started=0, seconds=1), done(2, started=0.5, seconds=1), done(3, started=2, seconds=1))
    assert r.peak_overlap() == 2


def good_store(r: LoadResult) -> FakeStore:
    return FakeStore(
        seen={x.assertion_id for x in r.logins}, sessions={x.session_token: {"login": x.login} for x in r.logins}
    )


def test_consistent_state_passes():
    r = result(done(1), done(2))
    assert check(r, good_store(r)) == [] and r.ok


def test_missing_replay_entry_is_caught():
    r = result(done(1), done(2))
    store = good_store(r)
    store.seen.discard("_a2")
    assert "missing from the replay cache" in check(r, store)[0]
    assert not r.ok


def test_outstanding_request_left_behind_is_caught():
    r = result(done(1), done(2))
    store = good_store(r)
    store.outstanding.add("_req1")
    assert "still outstanding" in check(r, store)[0]


def test_crossed_sessions_are_caught():
    r = result(done(1), done(2, "bob", "demo_bb"))
    store = good_store(r)
    store.sessions["tok2"] = {"login": "alice"}
    assert "another user's session" in check(r, store)[0]
    r = result(done(1), done(2))
    r.logins[1].session_token = "tok1"
    assert "same session cookie" in check(r, good_store(r))[0]


def test_report_names_errors():
    bad = done(2)
    bad.error = "expected the session of alice, got the session of bob"
    r = result(done(1), bad)
    text = r.report()
    assert "errors      1" in text and "login #2 (alice): expected the session of alice" in text
    assert r.to_dict()["errors"] == [{"index": 2, "user": "alice", "error": bad.error}]
