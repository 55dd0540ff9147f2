"""samlkit.events: plain events, a sink that fails never breaks a request, the HTTP reporter."""

from __future__ import annotations

from werkzeug.test import Client
from werkzeug.wrappers import Response

from samlkit.events import Check, Event, emit, http_reporter


def test_event_round_trips_through_a_dict() -> None:
    e = Event(
        kind="saml",
        actor="sp",
        direction="recv",
        param="SAMLResponse",
        value="abc",
        checks=[Check("Audience", True, "ok")],
    )
    d = e.to_dict()
    assert Event.from_dict({**d, "unknown": 1}) == e


def test_a_failing_sink_is_ignored() -> None:
    def sink(_e: Event) -> None:
        raise RuntimeError("listener broke")

    emit(sink, Event(kind="http", actor="sp"))
    emit(None, Event(kind="http", actor="sp"))


def test_http_reporter_reports_status_location_and_flow_without_cookies() -> None:
    seen: list[Event] = []

    def app(environ, start_response):
        r = Response("x", status=302, headers={"Location": "/there"})
        r.set_cookie("secret", "v")
        return r(environ, start_response)

    c = Client(http_reporter(app, "sp", lambda: seen.append))
    c.get("/here?a=1", headers={"X-Harness-Flow": "f1", "Host": "sp.test"})
    (e,) = seen
    assert (e.kind, e.actor, e.method, e.status, e.location, e.flow_id) == ("http", "sp", "GET", 302, "/there", "f1")
    assert e.url == "http://sp.test/here?a=1"
    assert all(k.lower() != "set-cookie" for k in e.headers)


def test_http_reporter_builds_no_event_while_its_sink_says_nobody_listens() -> None:
    class Sink:
        listening = False

        def __init__(self) -> None:
            self.seen: list[Event] = []

        def __call__(self, e: Event) -> None:
            self.seen.append(e)

    def app(environ, start_response):
        return Response("x", status=302, headers={"Location": "/there"})(environ, start_response)

    sink = Sink()
    c = Client(http_reporter(app, "sp", lambda: sink))
    r = c.get("/here")
    assert (r.status_code, r.headers["Location"], sink.seen) == (302, "/there", [])
    sink.listening = True
    c.get("/here")
    assert [(e.kind, e.status) for e in sink.seen] == [("http", 302)]
