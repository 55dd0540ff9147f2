"""Plain-data events that the servers report to an optional sink.

A sink is any callable taking one `Event`. The servers never know who listens: the harness
turns events into a trace, tests collect them in a list.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

Sink = Callable[["Event"], None]

# The harness binds a recording to the browser it started with this cookie (harness/core/recording.py).
RECORDING_COOKIE = "saml_harness_recording"


@dataclass
class Check:
    """One rule applied to a message: passed (True), failed (False) or not applicable (None).

    The SP's validator makes them, its verdict event carries them, the trace shows them.
    """

    name: str
    ok: bool | None
    detail: str = ""


@dataclass
class Event:
    """One thing a server saw or did.

    kind: "http" (a request it answered), "saml" (a SAML message it sent or received) or
    "verdict" (the SP's decision on a Response, with its checks).
    """

    kind: str
    actor: str  # "sp" | "idp"
    direction: str = ""  # "recv" | "send"
    binding: str = ""  # "HTTP-Redirect" | "HTTP-POST" | ""
    url: str = ""
    method: str = ""
    status: int = 0
    param: str = ""  # "SAMLRequest" | "SAMLResponse"
    value: str = ""  # the raw parameter as it travelled
    relay_state: str | None = None
    request_id: str | None = None  # the AuthnRequest ID this message relates to
    time: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    # verdicts
    ok: bool | None = None
    code: str = ""
    message: str = ""
    checks: list[Check] = field(default_factory=list)
    login: str | None = None
    subscription: str | None = None
    flow_id: str | None = None  # the scripted browser's X-Harness-Flow header, if any
    recording: str | None = None  # the RECORDING_COOKIE the browser sent, if any
    # SAML and verdict events are reported in the request's own thread, before its "http" event:
    # the thread ident lets a listener attach them to the right request.
    thread: int = field(default_factory=threading.get_ident)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["checks"] = [Check(**c) if isinstance(c, dict) else c for c in known.get("checks") or []]
        return cls(**known)


def emit(sink: Sink | None, event: Event) -> None:
    """Report to the sink; a failing listener must never break a login."""
    if sink is None:
        return
    try:
        sink(event)
    except Exception:  # the sink is someone else's code
        pass


def listening(sink: Sink | None) -> bool:
    """Whether events sent to `sink` reach anyone: a sink may say nobody listens now (`listening`)."""
    return sink is not None and getattr(sink, "listening", True)


def http_reporter(app: Callable, actor: str, sink_getter: Callable[[], Sink | None]) -> Callable:
    """WSGI middleware reporting each request with its status and Location (unless nobody listens)."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not listening(sink_getter()):
            return app(environ, start_response)
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            seen["status"] = int(status.split(" ", 1)[0])
            seen["headers"] = dict(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = app(environ, capture)
        sink = sink_getter()
        if listening(sink):
            path = environ.get("PATH_INFO", "")
            qs = environ.get("QUERY_STRING", "")
            url = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{path}"
            if qs:
                url += "?" + qs
            hdrs = seen.get("headers", {})
            emit(
                sink,
                Event(
                    kind="http",
                    actor=actor,
                    method=environ.get("REQUEST_METHOD", ""),
                    url=url,
                    status=seen.get("status", 0),
                    headers={k: v for k, v in hdrs.items() if k.lower() != "set-cookie"},
                    location=hdrs.get("Location"),
                    flow_id=environ.get("HTTP_X_HARNESS_FLOW"),
                    recording=cookie(environ, RECORDING_COOKIE),
                ),
            )
        return body

    return wrapped


def cookie(environ: dict, name: str) -> str | None:
    """One cookie's value from a WSGI request, or None."""
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip('"')
    return None
