"""Run the attack and fault scenarios against an SP and tell refusals, accepted forgeries and crashes apart.

Against the embedded SP (`run_embedded`) the battery starts both servers from a workspace,
gets a real AuthnRequest with the scripted browser before each scenario (so the message
answers a request and only the scenario's rule is broken), posts the bad message to the ACS
from the same browser session, and asks `/whoami` whether a session opened. Against any other
SP (`external_target`) it needs the ACS URL and the SP's EntityID (or its metadata, or its
login URL, from whose AuthnRequest both are read); the SP must trust the workspace's mock IdP.

Each row observes the HTTP status, the `X-SAML-Reason` code (if the SP sends one), the
redirect target, whether a session opened, and whether the SP fetched the battery's canary
URL (XXE, external references). Verdicts: `refused` (good), `ignored` (an off-site RelayState
dropped, the login itself legitimate: good), `ACCEPTED` (a forgery worked), `FETCHED` (the SP
followed a URL from the message), `CRASH` (5xx, a dropped connection or a timeout),
`skipped` (the scenario needs something this target lacks), `ERROR` (the battery could not
build the message). The baseline row sends a legitimate message: `accepted` there proves the
battery can tell; `REFUSED` means every other row is inconclusive.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from harness.core.battery.canary import Canary
from harness.core.battery.client import LoginError, ask_session, post_message, start_login
from harness.core.battery.diffs import legitimate_counterpart
from harness.core.battery.target import Target
from harness.core.battery.verdicts import (
    CRASH,
    ERROR,
    IGNORED,
    SKIPPED,
    Observed,
    Report,
    Result,
    accepted,
    verdict,
)
from harness.core.browser import ScriptedBrowser
from mock_idp.scenarios import BASELINE, CATALOGUE
from mock_idp.scenarios.base import (
    HARM_OFFSITE_REDIRECT,
    NEEDS_ENCRYPTION,
    NEEDS_FRESH_BROWSER,
    NEEDS_NO_REQUEST,
    NEEDS_PRIOR_LOGIN,
    NEEDS_REQUEST,
    NEEDS_UNSOLICITED_OFF,
    Context,
    Message,
    Scenario,
)


class Battery:
    """Runs scenarios against one target, one fresh browser each."""

    def __init__(self, target: Target, context: Context, *, canary: Canary | None = None):
        self.target = target
        self.context = context if canary is None else replace(context, canary_url=canary.url)
        self.canary = canary

    def run(
        self,
        scenarios: Iterable[Scenario] | None = None,
        *,
        baseline: bool = True,
        on_result: Callable[[Result], None] | None = None,
    ) -> Report:
        started = time.perf_counter()
        todo = ([BASELINE] if baseline else []) + list(CATALOGUE if scenarios is None else scenarios)
        results = []
        for s in todo:
            r = self.run_one(s)
            results.append(r)
            if on_result is not None:
                on_result(r)
        try:
            legit = self.context.legitimate().xml
        except Exception:  # only for display
            legit = None
        return Report(
            target=self.target.to_dict(),
            results=results,
            seconds=time.perf_counter() - started,
            legitimate_xml=legit.decode("utf-8", "replace") if legit else None,
        )

    # -- one scenario ---------------------------------------------------------------------

    def run_one(self, s: Scenario) -> Result:
        started = time.perf_counter()
        result = self._result(s, Observed(), SKIPPED)
        try:
            self._run(s, result)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    def _result(self, s: Scenario, observed: Observed, verdict: str, note: str = "") -> Result:
        return Result(
            scenario=s.name,
            family=s.family,
            rule=s.rule,
            summary=s.summary,
            safe_sp=s.safe_sp,
            expected=["session"] if s.legitimate else sorted(s.expect),
            observed=observed,
            verdict=verdict,
            note=note,
        )

    def _run(self, s: Scenario, result: Result) -> None:
        t = self.target
        needs = s.needs
        if NEEDS_UNSOLICITED_OFF in needs and t.set_unsolicited is None and t.unsolicited_allowed is not False:
            result.note = "needs an SP that refuses IdP-initiated logins (say so with --no-unsolicited)"
            return
        if NEEDS_REQUEST in needs and not t.login_url:
            result.note = "needs the SP's login URL (--login-url) to obtain an AuthnRequest"
            return
        if NEEDS_ENCRYPTION in needs and not self.context.sp.encryption_cert_pem:
            result.note = 'needs the SP\'s encryption certificate (a KeyDescriptor use="encryption" in its metadata)'
            return
        restore = None
        if NEEDS_UNSOLICITED_OFF in needs and t.set_unsolicited is not None:
            t.set_unsolicited(False)
            restore = t.unsolicited_allowed if t.unsolicited_allowed is not None else True
        browsers: list[ScriptedBrowser] = []
        try:
            self._run_in_browsers(s, result, browsers)
        finally:
            for b in browsers:
                b.close()
            if restore is not None and t.set_unsolicited is not None:
                t.set_unsolicited(restore)

    def _run_in_browsers(self, s: Scenario, result: Result, browsers: list[ScriptedBrowser]) -> None:
        t = self.target
        browser = ScriptedBrowser(timeout=t.timeout)
        browsers.append(browser)
        ctx = self._prepare(s, result, browser)
        if ctx is None:
            return
        try:
            message = s.build(ctx)
        except Exception as err:  # a scenario bug is reported, not raised
            result.verdict, result.note = ERROR, f"the scenario could not be built ({type(err).__name__}: {err})"
            return
        if message.xml is not None and len(message.xml) <= 256 * 1024:
            result.xml = message.xml.decode("utf-8", "replace")
            try:
                result.legitimate_xml = legitimate_counterpart(ctx, message.xml).decode("utf-8", "replace")
            except Exception:  # only for display; the report's legitimate message stands in
                result.legitimate_xml = None
        poster = browser
        if NEEDS_FRESH_BROWSER in s.needs:
            poster = ScriptedBrowser(timeout=t.timeout)
            browsers.append(poster)
        obs = self._post(poster, message)
        result.observed = obs
        result.verdict = self._verdict(s, obs)
        if obs.reason:
            result.code_ok = s.legitimate or obs.reason in s.expect
        result.note = _note(s, result) or result.note

    def _prepare(self, s: Scenario, result: Result, browser: ScriptedBrowser) -> Context | None:
        """The context the scenario builds on: the AuthnRequest it answers, the login it follows.
        None (with the row's note and verdict set) when the scenario cannot run."""
        t = self.target
        ctx = self.context
        if ctx.now is None:  # one instant for the bad message and its legitimate counterpart
            ctx = replace(ctx, now=dt.datetime.now(dt.UTC))
        if NEEDS_NO_REQUEST not in s.needs and t.login_url:
            try:
                req = start_login(browser.session, t.login_url, t.timeout)
            except LoginError as err:
                if err.observed is not None and err.observed.crashed:
                    result.observed, result.verdict = err.observed, CRASH
                    result.note = f"the login step crashed: {err}"
                    return None
                if NEEDS_REQUEST in s.needs or s.legitimate:
                    result.note = f"no AuthnRequest: {err}"
                    return None
                req = None
                result.note = f"sent unsolicited ({err})"
            if req is not None:
                ctx = replace(ctx, in_response_to=req.id, relay_state=req.relay_state)
        if NEEDS_PRIOR_LOGIN in s.needs:
            saved = browser.session.cookies.copy()
            legit = ctx.legitimate()
            first = self._post(browser, legit)
            if first.crashed or not accepted(first):
                result.note = f"the legitimate login it builds on was not accepted ({first.short()})"
                result.observed = first
                if first.crashed:
                    result.verdict = CRASH
                return None
            browser.session.cookies = saved  # the same browser, its new session gone (logged out)
            ctx = replace(ctx, previous=legit)
        return ctx

    def _post(self, browser: ScriptedBrowser, message: Message) -> Observed:
        t = self.target
        mark = self.canary.mark() if self.canary else 0
        obs = post_message(browser.session, t.acs_url, message.fields, t.timeout)
        if self.canary:
            obs.fetched = self.canary.since(mark)
        if not obs.crashed and t.session_url:
            obs.session, obs.login = ask_session(
                browser.session, t.session_url, whoami_json=t.whoami_json, timeout=t.timeout
            )
        return obs

    def _verdict(self, s: Scenario, obs: Observed) -> str:
        return verdict(s, obs, acs_url=self.target.acs_url, victim_logins=tuple(self.target.victim_logins))


def _note(s: Scenario, result: Result) -> str:
    """What a tester should know about the row beyond its verdict ("" for nothing new)."""
    obs = result.observed
    if obs.fetched:
        return f"the SP fetched {', '.join(obs.fetched)}"
    if obs.closed:
        return "the SP closed the connection on the oversized body (a refusal)"
    if result.verdict == IGNORED and s.harm == HARM_OFFSITE_REDIRECT:
        return f"logged in, but did not follow the RelayState (went to {obs.location or 'a page'})"
    if result.verdict == IGNORED:
        return f"logged in {obs.login} (the attacker's own account), not the victim: the decoy was ignored"
    return ""
