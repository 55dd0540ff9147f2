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
from sp.trust import trusted_by_issuer

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


def trusted_cert(servers: Servers) -> Callable[[str], list[bytes] | None]:
    """Issuer -> the certificates its messages are checked with, for the recorder, read from the running
    servers at each call: an IdP EntityID's are those subscriptions trust (two during a rollover); an
    SP's (its LogoutRequests, signed AuthnRequests) the embedded SP's own, or the one the mock IdP has."""

    def lookup(issuer: str) -> list[bytes] | None:
        found = trusted_by_issuer(servers.sp_app.config)(issuer)
        if found:
            return found
        sp = servers.sp_app.config
        if sp.cert_pem and issuer == sp.entity_id:
            return [sp.cert_pem]
        other = servers.idp_app.config.sp(issuer)
        return [other.sp_cert_pem] if other is not None and other.sp_cert_pem else None

    return lookup


@contextmanager
def recording(
    servers: Servers,
    trace: Trace,
    *,
    flow_id: str | None,
    on_step: StepCallback | None = None,
    token: str | None = None,
    decryption_key: bytes | None = None,
    on_foreign: StepCallback | None = None,
) -> Iterator[TraceRecorder]:
    """Record into `trace` what the servers see (only `flow_id`'s requests; None: every request;
    with `token`, only the requests of the browser that recording token was given to, the others
    kept apart as foreign)."""
    recorder = TraceRecorder(
        trace,
        flow_id=flow_id,
        trusted_cert=trusted_cert(servers),
        on_step=on_step,
        recording=token,
        decryption_key=decryption_key,
        on_foreign=on_foreign,
    )
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

    def __init__(
        self,
        servers: Servers,
        trace: Trace,
        on_step: StepCallback | None = None,
        *,
        recording: str | None = None,
        on_foreign: StepCallback | None = None,
        decryption_key: bytes | None = None,
    ):
        """`recording`: a token from `servers.recordings`; requests without it are foreign (listed
        apart, never the tester's steps), and `stop` ends it."""
        self.servers = servers
        self.token = recording
        self.recorder = TraceRecorder(
            trace,
            flow_id=None,
            trusted_cert=trusted_cert(servers),
            on_step=on_step,
            recording=recording,
            on_foreign=on_foreign,
            decryption_key=decryption_key,
        )
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
        if self.token is not None:
            self.servers.recordings.end(self.token)


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
    # The tester's own click: Sec-Fetch-Site says so, as the SP's logout requires of a GET (sp.logout).
    r = browser.session.get(
        sp_base + Route.LOGOUT, allow_redirects=False, timeout=browser.timeout, headers={"Sec-Fetch-Site": "none"}
    )
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
    idp_session_url: str | None = None,
    decryption_key: bytes | None = None,
    after: Callable[[ScriptedBrowser, Observations], None] | None = None,
) -> Run:
    """One login by a fresh scripted browser, recorded into `trace`. `idp_session_url`: first log
    in there (unrecorded) and forget the SP session, so the flow starts with a live IdP session.
    `after`: what the same browser does next, still recorded (a logout)."""
    browser = ScriptedBrowser(credentials)
    if idp_session_url:
        try:
            browser.get(idp_session_url)
        except BrowserError:
            pass  # the flow itself then shows what fails
        # Forgotten rather than logged out: the SP's logout would end the IdP session too (Single Logout).
        for cookie in [c for c in browser.session.cookies if c.name == SESSION_COOKIE]:
            browser.session.cookies.clear(cookie.domain, cookie.path, cookie.name)
    started = time.perf_counter()
    try:
        with recording(servers, trace, flow_id=browser.flow_id, on_step=on_step, decryption_key=decryption_key):
            observed = walk(browser, start_url, servers.sp_base, logout=logout)
            if after is not None and not observed.error:
                after(browser, observed)
    finally:
        browser.close()
    if observed.error and not trace.outcome:
        trace.outcome, trace.outcome_detail = "error", observed.error
    return Run(trace=trace, observed=observed, seconds=time.perf_counter() - started)
