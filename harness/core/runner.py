"""The one runner: drive a browser through a login against running servers and return what happened.

A run is a `Trace` (every hop the servers saw, decoded and checked, from the recorder) plus
`Observations` (what the browser itself saw: the final page, /whoami, its session cookie, where
logout sent it). The runner judges nothing: flow, load, the checklist and the battery are judges
over this data, so each can be tested in milliseconds with hand-built traces and observations.
A real browser is recorded with `recording` (every request) or `RealBrowserCapture` (only the
requests no scripted browser tagged).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from harness.core.browser import BrowserError, Credentials, Page, ScriptedBrowser
from harness.core.recorder import StepCallback, TraceRecorder
from harness.core.servers import Servers
from harness.core.trace import Trace
from samlkit.events import Event
from sp.contract import SESSION_COOKIE, Route

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Observations:
    """What the browser saw, beside the servers' trace."""

    final_status: int = 0  # of the page the login ended on (0: the browser failed)
    final_reason: str = ""  # its reason code (X-SAML-Reason), if refused
    whoami: dict = field(default_factory=dict)  # the SP's /whoami answer afterwards
    session_token: str | None = None  # the SP's session cookie, when one was set
    logout_status: int = 0  # of the logout request (0: no logout)
    logout_location: str = ""  # where logout sent the browser, absolute
    error: str = ""  # why the browser stopped, when it failed
    pages: list[Page] = field(default_factory=list)  # every page the browser fetched, in order

    @property
    def session_login(self) -> str | None:
        return self.whoami.get("login") if self.whoami.get("authenticated") else None


@dataclass
class Run:
    trace: Trace
    observed: Observations
    seconds: float


def trusted_cert(servers: Servers) -> Callable[[str], bytes | None]:
    """IdP EntityID -> the certificate a subscription trusts for it (for the recorder's signature
    checks), read from the running SP's configuration at each call."""

    def lookup(issuer: str) -> bytes | None:
        return {s.idp_entity_id: s.idp_cert_pem for s in servers.sp_app.config.subscriptions}.get(issuer)

    return lookup


@contextmanager
def recording(
    servers: Servers, trace: Trace, *, flow_id: str | None, on_step: StepCallback | None = None
) -> Iterator[TraceRecorder]:
    """Record into `trace` what the servers see (only `flow_id`'s requests; None: every request)."""
    recorder = TraceRecorder(trace, flow_id=flow_id, trusted_cert=trusted_cert(servers), on_step=on_step)
    servers.add_listener(recorder)
    try:
        yield recorder
    finally:
        servers.remove_listener(recorder)


class RealBrowserCapture:
    """Record what a real browser does: the requests without the scripted browser's X-Harness-Flow tag.

    A recorder with `flow_id=None` keeps every request; this listener holds each request's SAML and
    verdict events (reported in the request's own thread, before its http event) and forwards them
    only when that request turns out to be untagged, so a scripted flow running meanwhile does not
    leak into the real browser's trace. Called from the servers' threads; `stop` ends it.
    """

    def __init__(self, servers: Servers, trace: Trace, on_step: StepCallback | None = None):
        self.servers = servers
        self.recorder = TraceRecorder(trace, flow_id=None, trusted_cert=trusted_cert(servers), on_step=on_step)
        self._held: dict[tuple[str, int], list[Event]] = {}
        self._lock = threading.Lock()
        servers.add_listener(self)

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

    def stop(self) -> None:
        self.servers.remove_listener(self)


def credentials_for(
    servers: Servers, username: str, *, password: str | None = None, pick: str | None = None
) -> Credentials:
    """The IdP user's own credentials (TOTP included) unless a password is given."""
    user = servers.workspace.user(username)
    return Credentials(
        username=username,
        password=password if password is not None else (user.password if user else ""),
        totp_secret=user.totp_secret if user else None,
        pick=pick,
    )


def walk(browser: ScriptedBrowser, start_url: str, sp_base: str, *, logout: bool = False) -> Observations:
    """Open `start_url`, follow every hop, ask /whoami, and log out if asked (following the exit URL
    only on loopback: the scripted browser never leaves this machine)."""
    seen = Observations(pages=browser.history)
    try:
        page = browser.get(start_url)
        seen.final_status, seen.final_reason = page.status, page.reason_code
        who = browser.get(sp_base + Route.WHOAMI)
        seen.whoami = json.loads(who.text) if who.text.startswith("{") else {}
        seen.session_token = browser.session.cookies.get(SESSION_COOKIE)
        if logout and who.status == 200:
            _log_out(browser, sp_base, seen)
    except BrowserError as err:
        seen.error = str(err)
    return seen


def _log_out(browser: ScriptedBrowser, sp_base: str, seen: Observations) -> None:
    r = browser.session.get(sp_base + Route.LOGOUT, allow_redirects=False, timeout=browser.timeout)
    seen.logout_status = r.status_code
    seen.logout_location = urljoin(sp_base + "/", r.headers.get("Location", ""))
    if r.is_redirect and (urlsplit(seen.logout_location).hostname or "") in LOOPBACK:
        browser.get(seen.logout_location)


def run(
    servers: Servers,
    start_url: str,
    credentials: Credentials,
    *,
    trace: Trace,
    logout: bool = False,
    on_step: StepCallback | None = None,
) -> Run:
    """One login by a fresh scripted browser, recorded into `trace`."""
    browser = ScriptedBrowser(credentials)
    started = time.perf_counter()
    try:
        with recording(servers, trace, flow_id=browser.flow_id, on_step=on_step):
            observed = walk(browser, start_url, servers.sp_base, logout=logout)
    finally:
        browser.close()
    if observed.error and not trace.outcome:
        trace.outcome, trace.outcome_detail = "error", observed.error
    return Run(trace=trace, observed=observed, seconds=time.perf_counter() - started)
