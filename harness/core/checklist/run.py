"""Running the checklist: with the scripted browser against the mock IdP (demo), or watching a
real browser (interactive). Both record a trace with the runner and hand it to `judge`."""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import replace

from harness.core import runner
from harness.core.checklist.judge import judge, judge_workspace
from harness.core.checklist.model import (
    BROWSER,
    FAIL,
    ORDER,
    PENDING,
    CheckCallback,
    ChecklistReport,
    Expectation,
    TraceCallback,
)
from harness.core.checklist.trace_steps import IDP_RETRY_PAGES, path_of
from harness.core.flow import UNKNOWN, expect
from harness.core.questionnaire import Questionnaire
from harness.core.runner import credentials_for
from harness.core.servers import Servers
from harness.core.trace import Step, Trace
from sp.contract import SESSION, Route


def expectation_for(servers: Servers, idm_key: str, mode: str) -> Expectation:
    """The report's header and the running SP's view of `idm_key`, nothing expected yet."""
    config = servers.sp_app.config
    sub = config.subscription(idm_key)
    if sub is None:
        raise ValueError(f"no subscription has the idm_key {idm_key!r}")
    header = ChecklistReport(
        idm_key=idm_key,
        subscription=sub.name or idm_key,
        mode=mode,
        login_url=servers.login_url(idm_key),
        questionnaire=Questionnaire.from_subscription(sub),
        sp_entity_id=config.entity_id,
        acs_url=config.acs_url,
        trace=Trace(title=f"Onboarding checklist: {sub.name or idm_key}", flow="sp", subscription=idm_key),
    )
    return Expectation(header=header, sub=sub, login_path=config.login_path, acs_path=config.acs_path, expected=None)


class _Announcer:
    """Tell the listener about each decided step, pausing `pace` seconds in between."""

    def __init__(
        self, report: ChecklistReport, on_check: CheckCallback | None, pace: float, wait: Callable[[float], None]
    ):
        self.report, self.on_check, self.pace, self.wait = report, on_check, pace, wait
        self.told: dict[str, tuple] = {}

    def __call__(self, keys: list[str]) -> None:
        for key in keys:
            s = self.report.step(key)
            state = (s.status, s.reason)
            if s.status == PENDING or self.told.get(key) == state:
                continue
            self.told[key] = state
            if self.on_check:
                self.on_check(self.report, s)
            if self.pace > 0:
                self.wait(self.pace)


def _adopt(report: ChecklistReport, judged: ChecklistReport) -> None:
    """The judged steps, account and identity, into the report the listener holds."""
    report.steps, report.account, report.identity = judged.steps, judged.account, judged.identity


def run_demo(
    servers: Servers,
    *,
    idm_key: str,
    username: str,
    account: str | None = None,
    password: str | None = None,
    pace: float = 0.0,
    wait: Callable[[float], None] = time.sleep,
    on_check: CheckCallback | None = None,
    on_trace: TraceCallback | None = None,
) -> ChecklistReport:
    """The checklist against the mock IdP, driven by the scripted browser (TOTP included).

    `pace`: seconds between steps, spent in `wait` (a GUI passes an interruptible wait, so
    "next" can cut it short); trace steps are paced too, so a presenter can follow each hop.
    """
    started = time.perf_counter()
    if servers.workspace.user(username) is None:
        raise ValueError(f"the mock IdP has no user {username!r}")
    predicted = expect(servers, idm_key, username)
    exp = expectation_for(servers, idm_key, "demo")
    exp = replace(
        exp,
        expected=account or predicted.account,
        predicted_identity=predicted.identity,
        unknown=predicted.explanation if predicted.outcome == UNKNOWN else "",
    )
    report = exp.header
    report.user, report.account = username, exp.expected or ""
    announce = _Announcer(report, on_check, pace, wait)
    judge_workspace(report, replace(exp))
    announce(["trust", "saml-enabled", "external-id"])

    def step_seen(trace: Trace, step: Step) -> None:
        if on_trace:
            on_trace(trace, step)
        if pace > 0:
            wait(pace)

    creds = credentials_for(servers, username, password=password, pick=exp.expected)
    key = exp.sub.encryption_key_pem if exp.sub else None  # the trace shows encrypted assertions decrypted
    runner.run(servers, report.login_url, creds, trace=report.trace, logout=True, on_step=step_seen, decryption_key=key)
    report.trace.user = username
    _adopt(report, judge(report.trace, exp))
    announce(ORDER)
    report.seconds = time.perf_counter() - started
    return report


def _decides(step: Step, ctx: Expectation) -> tuple[bool, bool]:
    """(the login is decided, the browser logged out) once a real browser made this request."""
    path = path_of(step)
    kind = step.message.summary.kind if step.message else ""
    if step.dst == "sp":
        if path == Route.LOGOUT and kind == "LogoutRequest":
            return True, False  # Single Logout: the IdP's LogoutResponse (or refusal) ends it
        if path == Route.LOGOUT:  # the confirmation page (200) is not a logout: the session ended on a redirect
            return (True, True) if step.status in (301, 302, 303, 307) else (False, False)
        if kind == "LogoutResponse":
            return True, True
        if path.rstrip("/") == ctx.acs_path.rstrip("/") and (step.verdict == "refused" or step.code == SESSION):
            return True, False
        if path == Route.PICK and step.verdict == "ok":
            return True, False
        return path == ctx.login_path and step.status >= 400, False
    refused = step.dst == "idp" and step.status >= 400 and not path.endswith(IDP_RETRY_PAGES)
    return refused, refused and kind.startswith("Logout")  # a refused LogoutRequest: nothing more will come


def run_interactive(
    servers: Servers,
    *,
    idm_key: str,
    account: str | None = None,
    timeout: float = 300.0,
    logout_timeout: float = 120.0,
    opener: Callable[[str], object] = webbrowser.open,
    on_check: CheckCallback | None = None,
    on_trace: TraceCallback | None = None,
    cancel: threading.Event | None = None,
) -> ChecklistReport:
    """The checklist with a real browser: open the unique URL and record whatever the browser does.

    Waits until a session opens or a refusal is seen (or `timeout`), then up to `logout_timeout`
    for the logout. Every request to both servers is recorded (`flow_id=None`).
    """
    started = time.perf_counter()
    exp = replace(expectation_for(servers, idm_key, "interactive"), expected=account)
    report = exp.header
    report.account = account or ""
    announce = _Announcer(report, on_check, 0.0, time.sleep)
    judge_workspace(report, replace(exp), interactive=True)
    announce(["trust", "saml-enabled", "external-id"])
    decided, logged_out = threading.Event(), threading.Event()
    cancel = cancel or threading.Event()

    def watch(trace: Trace, step: Step) -> None:
        if on_trace:
            on_trace(trace, step)
        done, out = _decides(step, exp)
        if out:
            logged_out.set()
        if done:
            decided.set()

    waits = (decided, logged_out, cancel, timeout, logout_timeout)
    _record_real_browser(servers, report, watch, opener, waits)
    _adopt(report, judge(report.trace, exp, interactive=True))
    first = report.first_failure
    if first is not None and not decided.is_set() and not cancel.is_set():
        first.reason += f" (waited {timeout:g} s)"
    if report.step("session").status == PENDING:
        report.step("session").set(
            FAIL,
            f"nothing decisive happened within {timeout:g} s",
            BROWSER,
            f"Open {report.login_url} and sign in at the IdP.",
        )
    announce(ORDER)
    report.seconds = time.perf_counter() - started
    return report


def _record_real_browser(
    servers: Servers,
    report: ChecklistReport,
    watch: Callable[[Trace, Step], None],
    opener: Callable[[str], object],
    waits: tuple[threading.Event, threading.Event, threading.Event, float, float],
) -> None:
    """Open the unique URL with a recording token (only that browser is the tester's) and record
    until the login is decided, then until logout when a session opened."""
    decided, logged_out, cancel, timeout, logout_timeout = waits
    token = servers.recordings.start()
    try:
        with runner.recording(servers, report.trace, flow_id=None, on_step=watch, token=token):
            opener(servers.recording_url(token, report.login_url))
            _wait_for(decided, cancel, timeout)
            session = any(s.code == SESSION and s.verdict == "ok" for s in report.trace.steps)
            if session and not logged_out.is_set():
                _wait_for(logged_out, cancel, logout_timeout)
                time.sleep(0.2)  # the exit page's request, if it is ours
    finally:
        servers.recordings.end(token)


def _wait_for(event: threading.Event, cancel: threading.Event, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not event.is_set() and not cancel.is_set() and time.monotonic() < deadline:
        event.wait(0.1)
