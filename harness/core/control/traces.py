"""The last traces a running harness saw, for `GET /traces`: every browser's logins, not only the harness's own.

A server listener. Requests of one scripted browser (its X-Harness-Flow header) form its traces;
requests of other browsers share one stream. A new trace starts where a login starts (the SP's
login URL, the IdP's /start) or where a new Response reaches the SP after the last trace ended.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from harness.core.recorder import TraceRecorder
from harness.core.safe_url import urlsplit
from harness.core.trace import Trace
from mock_idp.contract import IdPRoute
from samlkit.events import Event

MAX_TRACES = 50
OTHER_BROWSERS = "browser"


class TraceLog:
    def __init__(
        self,
        *,
        login_path: Callable[[], str],
        trusted_cert: Callable[[str], bytes | None],
        limit: int = MAX_TRACES,
    ):
        self._login_path = login_path
        self._trusted_cert = trusted_cert
        self._limit = limit
        self._lock = threading.Lock()
        self._held: dict[tuple[str, int], list[Event]] = {}
        self._current: OrderedDict[str, TraceRecorder] = OrderedDict()  # browser -> its trace being recorded
        self._traces: OrderedDict[str, Trace] = OrderedDict()  # trace id -> trace, oldest first

    def __call__(self, event: Event) -> None:
        key = (event.actor, event.thread)
        with self._lock:
            if event.kind != "http":
                self._held.setdefault(key, []).append(event)
                return
            attached = self._held.pop(key, [])
            recorder = self._recorder_for(event, attached)
        for ev in [*attached, event]:
            recorder(ev)

    def _recorder_for(self, event: Event, attached: list[Event]) -> TraceRecorder:
        browser = event.flow_id or OTHER_BROWSERS
        current = self._current.get(browser)
        new_response = event.actor == "sp" and any(e.kind == "saml" and e.direction == "recv" for e in attached)
        if current is None or self._starts_login(event) or (current.trace.outcome and new_response):
            trace = Trace(title=f"{event.method} {urlsplit(event.url).path}", flow="browser")
            current = TraceRecorder(trace, trusted_cert=self._trusted_cert)
            self._current[browser] = current
            self._current.move_to_end(browser)
            self._traces[trace.id] = trace
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
        with self._lock:
            traces = list(self._traces.values())
        return traces[::-1][:n]
