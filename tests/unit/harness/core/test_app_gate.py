"""harness.core.app_gate: app calls run one at a time, a slow body never holds the gate, and an
app call that waits on another one delays it by the patience, never deadlocks."""

from __future__ import annotations

import io
import threading

from harness.core.app_gate import AppGate


def _ok(environ: dict, start_response):
    start_response("200 OK", [])
    return [environ["wsgi.input"].read()]


def _call(app, environ: dict | None = None) -> list[bytes]:
    env = {"wsgi.input": io.BytesIO(b"")}
    env.update(environ or {})
    return app(env, lambda status, headers: None)


def test_app_calls_never_overlap() -> None:
    active, peak = [0], [0]
    lock = threading.Lock()

    def app(environ: dict, start_response):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        sum(range(20000))  # some CPU work, during which others would overlap
        with lock:
            active[0] -= 1
        return [b""]

    gated = AppGate(patience=60).wrap(app)
    threads = [threading.Thread(target=lambda: [_call(gated) for _ in range(20)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert peak == [1] and active == [0]


def test_the_body_is_read_before_the_gate() -> None:
    """A client slow to send its body holds no gate: another request runs meanwhile."""
    release = threading.Event()

    class SlowBody:
        def read(self, size: int = -1) -> bytes:
            release.wait(timeout=30)
            return b"body"

    gated = AppGate(patience=60).wrap(_ok)
    slow_result: list[list[bytes]] = []
    slow = threading.Thread(
        target=lambda: slow_result.append(_call(gated, {"CONTENT_LENGTH": "4", "wsgi.input": SlowBody()}))
    )
    slow.start()
    assert _call(gated, {"CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"hi")}) == [b"hi"]
    release.set()
    slow.join(timeout=30)
    assert slow_result == [[b"body"]]


def test_an_app_call_waiting_on_another_does_not_deadlock() -> None:
    """The first call holds the gate until the second has run: the second goes in after the patience."""
    second_ran = threading.Event()
    gate = AppGate(patience=0.05)

    def first(environ: dict, start_response):
        assert second_ran.wait(timeout=30), "the second call never ran"
        return [b"first"]

    def second(environ: dict, start_response):
        second_ran.set()
        return [b"second"]

    results: list[list[bytes]] = []
    t = threading.Thread(target=lambda: results.append(_call(gate.wrap(first))))
    t.start()
    while not gate._lock.locked():  # the first call is inside
        threading.Event().wait(0.001)
    assert _call(gate.wrap(second)) == [b"second"]
    t.join(timeout=30)
    assert results == [[b"first"]]
