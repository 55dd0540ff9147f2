"""Record what a real browser does: requests without the scripted browser's X-Harness-Flow tag.

`TraceRecorder(flow_id=None)` keeps every request; this wrapper holds each request's SAML and
verdict events (reported in the request's own thread, before its http event) and forwards them
only when that request turns out to be untagged, so a scripted flow running meanwhile does not
leak into the real browser's trace. Plain Python: called from the servers' threads.
"""

from __future__ import annotations

import threading

from harness.core.recorder import TraceRecorder
from samlkit.events import Event


class BrowserCapture:
    def __init__(self, recorder: TraceRecorder):
        self.recorder = recorder
        self._held: dict[tuple[str, int], list[Event]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        key = (event.actor, event.thread)
        if event.kind != "http":
            with self._lock:
                self._held.setdefault(key, []).append(event)
            return
        with self._lock:
            held = self._held.pop(key, [])
        if event.flow_id is not None:
            return  # a scripted browser's request: someone else's trace
        for ev in held:
            self.recorder(ev)
        self.recorder(event)
