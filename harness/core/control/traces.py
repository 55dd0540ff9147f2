"""The last traces a running harness saw, for `GET /traces`: every browser's logins, not only the harness's own.

A server listener. Requests of one scripted browser (its X-Harness-Flow header) form its traces;
requests of other browsers share one stream. A new trace starts where a login starts (the SP's
login URL, the IdP's /start) or where a new Response reaches the SP after the last trace ended.

Lazy: a login only queues its events; they are grouped into traces (which needs no message
decoded, `judge_step`) when read or in batches, and the messages are decoded and their
signatures explained when `GET /traces` asks for that trace, once. Done per login, that work
doubled the servers' signature work under every `serve`. Each login's events keep the trusted
certificates as the SP's config stood then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from harness.core.recorder import TraceRecorder, judge_step, next_outcome
from harness.core.safe_url import urlsplit
from harness.core.trace import Step, Trace
from mock_idp.contract import IdPRoute
from samlkit.events import Event

MAX_TRACES = 50
INBOX = 256  # events queued before they are sorted into traces (else when read)
OTHER_BROWSERS = "browser"
TrustedCertFn = Callable[[str], bytes | None]


class _Filed:
    """One trace: its events as they came, decoded into steps when first read."""

    def __init__(self, trace: Trace, recorder: TraceRecorder) -> None:
        self.trace = trace
        self.recorder = recorder
        self.outcome = ""  # what the steps will say, known without decoding: it splits traces
        self._pending: list[tuple[list[Event], TrustedCertFn]] = []
        self._lock = threading.Lock()

    def file(self, events: list[Event], trust: TrustedCertFn) -> None:
        with self._lock:
            self._pending.append((events, trust))

    def read(self) -> Trace:
        with self._lock:
            pending, self._pending = self._pending, []
            for events, trust in pending:
                self.recorder.trusted_cert = trust
                for ev in events:
                    self.recorder(ev)
        return self.trace


class TraceLog:
    def __init__(
        self,
        *,
        login_path: Callable[[], str],
        trusted_cert: Callable[[], TrustedCertFn],
        limit: int = MAX_TRACES,
    ):
        """`trusted_cert()`: the issuer -> certificate lookup as the SP's config stands now."""
        self._login_path = login_path
        self._trust_now = trusted_cert
        self._limit = limit
        self._lock = threading.Lock()
        self._sorting = threading.Lock()  # one sorter at a time, so batches keep their order
        self._inbox: list[tuple[Event, TrustedCertFn | None]] = []
        self._held: dict[tuple[str, int], list[Event]] = {}
        self._current: OrderedDict[str, _Filed] = OrderedDict()  # browser -> its trace being filed
        self._traces: OrderedDict[str, _Filed] = OrderedDict()  # trace id -> trace, oldest first

    def __call__(self, event: Event) -> None:
        """Only queued here, with the trust as it stands now: a login pays for no grouping. The
        queue is sorted into traces when read, or in batches once it holds INBOX events."""
        trust = self._trust_now() if event.kind == "http" else None
        with self._lock:
            self._inbox.append((event, trust))
            if len(self._inbox) < INBOX:
                return
        self._flush()

    def _flush(self) -> None:
        """Sort what is queued; a batch is taken and sorted under one lock, so batches keep
        the order in which the events came."""
        with self._sorting:
            with self._lock:
                inbox, self._inbox = self._inbox, []
            for event, trust in inbox:
                self._take(event, trust)

    def _take(self, event: Event, trust: TrustedCertFn | None) -> None:
        key = (event.actor, event.thread)
        with self._lock:
            if event.kind != "http":
                self._held.setdefault(key, []).append(event)
                return
            attached = self._held.pop(key, [])
            filed = self._filed_for(event, attached)
            step = Step(0, event.time, "browser", event.actor, status=event.status, headers=event.headers)
            judge_step(step, event, attached)
            filed.outcome = next_outcome(filed.outcome, step) or filed.outcome
        assert trust is not None  # every "http" event was queued with one
        filed.file([*attached, event], trust)

    def _filed_for(self, event: Event, attached: list[Event]) -> _Filed:
        browser = event.flow_id or OTHER_BROWSERS
        current = self._current.get(browser)
        new_response = event.actor == "sp" and any(e.kind == "saml" and e.direction == "recv" for e in attached)
        if current is None or self._starts_login(event) or (current.outcome and new_response):
            trace = Trace(title=f"{event.method} {urlsplit(event.url).path}", flow="browser")
            current = _Filed(trace, TraceRecorder(trace))
            self._current[browser] = current
            self._current.move_to_end(browser)
            self._traces[trace.id] = current
            while len(self._traces) > self._limit:
                self._traces.popitem(last=False)
            while len(self._current) > self._limit:
                self._current.popitem(last=False)
        return current

    def _starts_login(self, event: Event) -> bool:
        path = urlsplit(event.url).path
        return (event.actor == "sp" and path == self._login_path()) or (event.actor == "idp" and path == IdPRoute.START)

    def last(self, n: int) -> list[Trace]:
        """The last `n` traces, newest first."""
        self._flush()
        with self._lock:
            filed = list(self._traces.values())[::-1][:n]
        return [f.read() for f in filed]
