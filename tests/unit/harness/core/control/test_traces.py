"""The control API's trace log: one stream per scripted browser, a new trace where a login starts, bounded."""

from __future__ import annotations

from harness.core.control.traces import TraceLog
from samlkit.events import Event


def _log(limit: int = 50) -> TraceLog:
    return TraceLog(login_path=lambda: "/fo/login.php", trusted_cert=lambda: lambda issuer: None, limit=limit)


def _http(actor: str, path: str, flow: str | None = None, status: int = 200) -> Event:
    return Event(kind="http", actor=actor, method="GET", url=f"http://127.0.0.1:1{path}", status=status, flow_id=flow)


def test_each_browser_has_its_own_traces_and_a_login_starts_a_new_one():
    log = _log()
    log(_http("sp", "/fo/login.php?idm_key=1", "a"))
    log(_http("sp", "/fo/login.php?idm_key=1", "b"))
    log(_http("idp", "/sso", "a"))
    log(_http("idp", "/start", "a"))  # a's second login
    newest_first = log.last(10)
    assert [len(t.steps) for t in newest_first] == [1, 1, 2]
    assert [s.dst for s in newest_first[2].steps] == ["sp", "idp"]


def test_requests_of_other_browsers_share_one_stream():
    log = _log()
    log(_http("sp", "/whoami", status=401))
    log(_http("sp", "/home"))
    assert len(log.last(5)) == 1 and len(log.last(5)[0].steps) == 2


def test_only_the_last_traces_are_kept():
    log = _log(limit=3)
    for i in range(10):
        log(_http("sp", "/fo/login.php?idm_key=1", f"browser{i}"))
    assert len(log.last(50)) == 3


def _login_events(tmp_path) -> list[Event]:
    """Every event of one real login over loopback (both servers in this process)."""
    from harness.core.browser import Credentials, ScriptedBrowser
    from harness.core.servers import Servers
    from harness.core.workspace import Workspace

    events: list[Event] = []
    ws = Workspace.demo(tmp_path / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as s:
        s.add_listener(events.append)
        assert ScriptedBrowser(Credentials("alice", "alice123")).get(s.login_url("4711")).url.endswith("/home")
    ws.close()
    return events


def test_messages_are_decoded_when_read_once_with_the_trust_of_their_time(tmp_path):
    """Filing a login decodes nothing (no certificate looked up); reading decodes it once, with
    the certificates the SP trusted when the login happened, not the ones it trusts now."""
    asked: list[str] = []
    then = lambda issuer: asked.append(f"then:{issuer}")  # noqa: E731
    now = [then]
    log = TraceLog(login_path=lambda: "/fo/login.php", trusted_cert=lambda: now[0])
    for ev in _login_events(tmp_path):
        log(ev)
    assert asked == []
    now[0] = lambda issuer: asked.append(f"now:{issuer}")
    (trace,) = log.last(5)
    assert asked and all(a.startswith("then:") for a in asked)
    assert trace.outcome == "session" and trace.login == "alice"
    assert any(s.message and s.message.summary.kind == "Response" for s in trace.steps)
    seen = len(asked)
    assert log.last(5)[0] is trace and len(asked) == seen  # read again: nothing decoded again


def test_queued_events_sort_into_the_same_traces_in_batches_or_when_read(monkeypatch):
    """A login only queues its events; sorted in batches of INBOX (here 3) or when read, the
    traces are the same as sorted one by one, and the queue never holds more than a batch."""
    import harness.core.control.traces as traces_mod

    events = [
        _http("sp", "/fo/login.php?idm_key=1", "a"),
        _http("idp", "/sso", "a"),
        _http("sp", "/fo/login.php?idm_key=1", "b"),
        _http("idp", "/sso", "b"),
        _http("idp", "/start", "a"),  # a's second login
        _http("sp", "/home", "a"),
        _http("sp", "/whoami", status=401),
    ]

    def sorted_traces(inbox: int) -> list[list[tuple[str, str]]]:
        monkeypatch.setattr(traces_mod, "INBOX", inbox)
        log = _log()
        for ev in events:
            log(ev)
            assert len(log._inbox) < inbox
        return [[(s.dst, s.status) for s in t.steps] for t in log.last(10)]

    assert sorted_traces(3) == sorted_traces(1) == sorted_traces(1000)
    assert len(sorted_traces(3)) == 4
