"""Recordings bound to the browser that started them.

"Open in browser" and the interactive checklist record whatever reaches the servers; any web
page the tester has open could send requests there and so write steps into the tester's trace.
A recording now has a secret token. The URL the harness opens first passes through both servers
(`RECORD_PATH`), which set the token as a cookie on each host and redirect on, so every later
request of that browser carries it (`Event.recording`). Requests without it are foreign: the
recorder keeps them apart (`Trace.foreign`), shown but never judged as the tester's steps.

A recording may also hold one page for its browser (`page`: the workbench's self-posting form of
an edited message), served by the first server at `PAGE_PATH` until the recording ends: a file://
page would post from outside the servers, where no recording URL can lead.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, urlencode

from samlkit.events import RECORDING_COOKIE

RECORD_PATH = "/__harness/record"
PAGE_PATH = "/__harness/page"


class Recordings:
    """The active recording tokens, and the WSGI middleware that hands them to a browser."""

    def __init__(self) -> None:
        self._active: set[str] = set()
        self._pages: dict[str, str] = {}  # token -> its page's HTML, served in this process only
        self._lock = threading.Lock()
        self.bases: tuple[str, ...] = ()  # the servers' own base URLs: the only places to redirect to
        # Told the active tokens after each change: a server in another process keeps a copy.
        self.on_change: Callable[[frozenset[str], tuple[str, ...]], None] | None = None
        self._telling = threading.Lock()  # copies leave in the order of the changes

    def start(self) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._active.add(token)
        self._changed()
        return token

    def end(self, token: str) -> None:
        with self._lock:
            self._active.discard(token)
            self._pages.pop(token, None)
        self._changed()

    def replace(self, tokens: frozenset[str], bases: tuple[str, ...]) -> None:
        """Take another process's tokens and bases (the copy `on_change` keeps)."""
        with self._lock:
            self._active = set(tokens)
            self.bases = tuple(bases)

    def _changed(self) -> None:
        with self._telling:
            self.tell()

    def tell(self) -> None:
        """Hand `on_change` the tokens and bases as they are now."""
        if self.on_change is not None:
            with self._lock:
                tokens = frozenset(self._active)
            self.on_change(tokens, self.bases)

    def active(self, token: str) -> bool:
        with self._lock:
            return token in self._active

    def url(self, token: str, target: str) -> str:
        """The URL to open: through every server (each sets the cookie on its host), then `target`."""
        url = target
        for base in reversed(self.bases):
            url = f"{base}{RECORD_PATH}?{urlencode({'t': token, 'next': url})}"
        return url

    def page(self, token: str, html: str) -> str:
        """Keep `html` for the browser of recording `token` until it ends; the URL that serves it (on
        the first server, which runs in this process), a target for `url`."""
        with self._lock:
            if token not in self._active:
                raise ValueError("no such recording")
            self._pages[token] = html
        return f"{self.bases[0]}{PAGE_PATH}?{urlencode({'t': token})}"

    def _serve_page(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        token = (parse_qs(environ.get("QUERY_STRING", "")).get("t") or [""])[0]
        with self._lock:
            html = self._pages.get(token) if token in self._active else None
        if html is None:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
            return [b"No such recording."]
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [html.encode("utf-8")]

    def middleware(self, app: Callable) -> Callable:
        def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
            path = environ.get("PATH_INFO")
            if path == PAGE_PATH:
                return self._serve_page(environ, start_response)
            if path != RECORD_PATH:
                return app(environ, start_response)
            query = parse_qs(environ.get("QUERY_STRING", ""))
            token, target = (query.get("t") or [""])[0], (query.get("next") or [""])[0]
            if not self.active(token) or not any(target.startswith(b + "/") for b in self.bases):
                start_response("404 Not Found", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
                return [b"No such recording."]
            cookie = f"{RECORDING_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
            start_response(
                "302 Found",
                [("Location", target), ("Set-Cookie", cookie), ("Cache-Control", "no-store")],
            )
            return [b""]

        return wrapped
