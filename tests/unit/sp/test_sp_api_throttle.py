"""The user API resists password guessing: a lockout per login, a rate limit per client, both
429 with Retry-After, counted in attempts on a fake clock (no waiting, no timing)."""

from __future__ import annotations

import base64
import threading

import pytest
from werkzeug.test import Client

from sp.app import SPApp
from sp.model import Account, SPConfig, Subscription
from sp.throttle import ApiThrottle

API = "/api/2.0/fo/user/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api():
    sub = Subscription(
        idm_key="1001",
        name="Acme",
        primary_contact="mgr",
        accounts=[
            Account(login="mgr", role="Manager", password="right-pass"),
            Account(login="ann", password="ann-pass"),
        ],
    )
    app = SPApp(SPConfig(base_url="http://sp.test", subscriptions=[sub]))
    clock = Clock()
    app.api_throttle = ApiThrottle(
        max_failures=5, lockout_seconds=900, client_failures=20, window_seconds=60, clock=clock
    )
    yield app, clock
    app.close()


def _get(app: SPApp, login: str, password: str, addr: str = "10.0.0.1"):
    auth = base64.b64encode(f"{login}:{password}".encode()).decode()
    return Client(app).get(API, headers={"Authorization": f"Basic {auth}"}, environ_base={"REMOTE_ADDR": addr})


def test_a_login_is_locked_after_five_wrong_passwords(api) -> None:
    app, clock = api
    for _ in range(5):
        r = _get(app, "mgr", "guess")
        assert r.status_code == 401 and r.headers["X-SAML-Reason"] == "api-auth-required"
    r = _get(app, "mgr", "right-pass")  # even the right password: guessing learns nothing
    assert r.status_code == 429 and r.headers["X-SAML-Reason"] == "api-locked-out"
    assert int(r.headers["Retry-After"]) == 900
    assert _get(app, "ann", "ann-pass").status_code == 200  # other logins are not affected
    clock.now += 899
    assert _get(app, "mgr", "right-pass").status_code == 429
    assert int(_get(app, "mgr", "right-pass").headers["Retry-After"]) == 1
    clock.now += 1
    assert _get(app, "mgr", "right-pass").status_code == 200


def test_a_success_clears_the_count(api) -> None:
    app, _ = api
    for _ in range(4):
        assert _get(app, "mgr", "guess").status_code == 401
    assert _get(app, "mgr", "right-pass").status_code == 200
    for _ in range(4):
        assert _get(app, "mgr", "guess").status_code == 401
    assert _get(app, "mgr", "right-pass").status_code == 200


def test_a_client_guessing_across_logins_is_rate_limited(api) -> None:
    app, clock = api
    for i in range(20):  # 20 made-up logins, 1 try each: no login is locked
        assert _get(app, f"user{i}", "guess").status_code == 401
    r = _get(app, "mgr", "right-pass")
    assert r.status_code == 429 and r.headers["X-SAML-Reason"] == "api-rate-limited"
    assert int(r.headers["Retry-After"]) == 60
    assert _get(app, "mgr", "right-pass", addr="10.0.0.2").status_code == 200  # another client is not held back
    clock.now += 60  # the window has passed
    assert _get(app, "mgr", "right-pass").status_code == 200


def test_the_tables_stay_bounded(api, monkeypatch: pytest.MonkeyPatch) -> None:
    import sp.throttle

    monkeypatch.setattr(sp.throttle, "MAX_TRACKED", 50)
    app, _ = api
    for i in range(200):
        app.api_throttle.failed(f"made-up-{i}", f"10.1.{i // 250}.{i % 250}")
    assert len(app.api_throttle._logins) == 50 and len(app.api_throttle._clients) == 50


class GatedClock(Clock):
    """A clock that holds each caller until `parties` callers arrived (or a hang-catching timeout):
    concurrent guesses line up inside the throttle, as they would on a busy threaded server."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties)

    def __call__(self) -> float:
        try:
            self.barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # serialised callers never line up: let them on
        return self.now


def test_concurrent_guesses_cannot_all_slip_past_the_lockout() -> None:
    """12 wrong guesses at once for one login: at most 5 (max_failures) are compared, the rest 429."""
    sub = Subscription(idm_key="1001", name="Acme", accounts=[Account(login="ann", password="ann-pass")])
    app = SPApp(SPConfig(base_url="http://sp.test", subscriptions=[sub]))
    app.api_throttle = ApiThrottle(max_failures=5, client_failures=1000, clock=GatedClock(12))
    statuses: list[int] = []

    def guess(i: int) -> None:
        token = base64.b64encode(f"ann:guess-{i}".encode()).decode()
        r = Client(app).get(API, headers={"Authorization": f"Basic {token}"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 12
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 7 and set(statuses) <= {401, 429}, statuses
    app.close()
