"""Run a login flow with the scripted browser against running servers, and record its trace."""

from __future__ import annotations

from dataclasses import dataclass

from harness.core import runner
from harness.core.browser import ScriptedBrowser
from harness.core.logout_flow import LOGOUT_KINDS, LogoutOutcome, check_sessions, log_out
from harness.core.recorder import StepCallback
from harness.core.runner import Observations, credentials_for
from harness.core.safe_url import urlsplit
from harness.core.servers import Servers
from harness.core.trace import Trace
from mock_idp.contract import IdPRoute, name_id_for, released_attributes
from sp.contract import SESSION
from sp.mapping import predict


@dataclass
class Expectation:
    """What the SP's mapping predicts for a user, before any flow runs."""

    outcome: str  # "session" | "picker" | refusal code
    logins: list[str]
    explanation: str
    identity: str | None = None  # the identity value the SP will map
    account: str | None = None  # the account it names, even one the SP will refuse


UNKNOWN = "unknown"  # the outcome when there is nothing to predict from

# A transient NameID is minted afresh for each Response: it names no account.
TRANSIENT_NAME_ID = "(transient)"


def expect(servers: Servers, idm_key: str, username: str) -> Expectation:
    """Predict the mapping from the workspace alone: the IdP's NameID and attributes for the user,
    judged by the SP's own decision (`sp.mapping.predict`)."""
    ws = servers.workspace
    sub = servers.sp_app.config.subscription(idm_key)
    user = ws.user(username)
    if sub is None or user is None:
        return Expectation(UNKNOWN, [], "no such subscription or user")
    if not sub.nds_enabled:  # the SP refuses at the login URL and at the ACS before any mapping
        return Expectation("nds-required", [], "SAML needs the New Data Security Model, which this subscription lacks.")
    if not sub.saml_ready:
        return Expectation("saml-not-configured", [], "This subscription has no complete IdP trust yet.")
    idp = servers.idp_app.config.sp(servers.sp_app.config.entity_id)
    if idp is None:
        return Expectation(UNKNOWN, [], "the mock IdP has no settings for the embedded SP")
    name_id = name_id_for(user, idp) or TRANSIENT_NAME_ID
    p = predict(sub, name_id, released_attributes(user, idp))
    identity = None if p.identity == TRANSIENT_NAME_ID else p.identity
    return Expectation(str(p.outcome), p.logins, p.explanation, identity, p.account)


@dataclass
class FlowResult:
    trace: Trace
    whoami: dict
    final_status: int
    final_reason: str
    expected: Expectation
    seconds: float
    logout: LogoutOutcome | None = None  # the logout kinds: how the logout went

    @property
    def session_login(self) -> str | None:
        return self.whoami.get("login") if self.whoami.get("authenticated") else None

    @property
    def idp_asked_credentials(self) -> bool:
        """Did the IdP show its login form in this flow (ForceAuthn: yes; an IdP session: no)?"""
        return any(s.dst == "idp" and urlsplit(s.url).path == IdPRoute.LOGIN for s in self.trace.steps)

    @property
    def as_expected(self) -> bool:
        e = self.expected
        if self.logout is not None:
            return self.session_login in e.logins and self.logout.ok
        if e.outcome in (SESSION, "picker"):
            return self.session_login in e.logins
        return self.session_login is None and self.final_reason == e.outcome

    def to_dict(self) -> dict:
        return {
            "trace": self.trace.to_dict(),
            "whoami": self.whoami,
            "final_status": self.final_status,
            "final_reason": self.final_reason,
            "expected": self.expected.__dict__,
            "as_expected": self.as_expected,
            "seconds": self.seconds,
            "logout": self.logout.to_dict() if self.logout else None,
        }


def run_flow(
    servers: Servers,
    *,
    kind: str,
    idm_key: str,
    username: str,
    password: str | None = None,
    pick: str | None = None,
    on_step: StepCallback | None = None,
    logout: bool = False,
    idp_session: bool = False,
) -> FlowResult:
    """kind: "sp" (start at the unique login URL) or "idp" (start at the IdP's start page); "logout"
    and "idp-logout" sign in SP-initiated, then log out at the SP (Single Logout) or at the IdP."""
    sub = servers.sp_app.config.subscription(idm_key)
    trace = Trace(
        title=f"{TITLES.get(kind, kind)}: {username} → {sub.name if sub else idm_key}",
        flow=kind,
        subscription=idm_key,
        user=username,
    )
    start = servers.idp_start_url(user=username, idm_key=idm_key) if kind == "idp" else servers.login_url(idm_key)
    creds = credentials_for(servers, username, password=password, pick=pick)
    session_url = servers.idp_start_url(user=username, idm_key=idm_key) if idp_session else None
    outcomes: list[LogoutOutcome] = []

    def then_log_out(browser: ScriptedBrowser, seen: Observations) -> None:
        if seen.whoami.get("authenticated"):
            outcome, page = log_out(servers, browser, kind)
            check_sessions(servers, browser, idm_key, outcome)  # another browser id: not recorded
            if page is not None:
                seen.final_status, seen.final_reason = page.status, page.reason_code
            outcomes.append(outcome)

    after = then_log_out if kind in LOGOUT_KINDS else None
    done = runner.run(
        servers,
        start,
        creds,
        trace=trace,
        logout=logout,
        on_step=on_step,
        idp_session_url=session_url,
        decryption_key=sub.encryption_key_pem if sub else None,
        after=after,
    )
    result = judge(done, expect(servers, idm_key, username))
    if outcomes:
        result.logout = outcomes[0]
        _logout_outcome(result.trace, outcomes[0])
    return result


TITLES = {
    "sp": "SP-initiated login",
    "idp": "IdP-initiated login",
    "logout": "SP-initiated logout",
    "idp-logout": "IdP-initiated logout",
}


def _logout_outcome(trace: Trace, outcome: LogoutOutcome) -> None:
    if outcome.ok:
        trace.outcome, trace.outcome_detail = "logged-out", "both sessions ended (SP and IdP)"
    else:
        trace.outcome, trace.outcome_detail = "refused" if outcome.reason else "incomplete", outcome.detail


def judge(done: runner.Run, expected: Expectation) -> FlowResult:
    """A flow's result from the runner's trace and observations, against the prediction."""
    seen, trace = done.observed, done.trace
    if not trace.outcome:
        trace.outcome = "refused" if seen.final_status >= 400 else "incomplete"
        trace.outcome_detail = seen.final_reason
    return FlowResult(
        trace=trace,
        whoami=seen.whoami,
        final_status=seen.final_status,
        final_reason=seen.final_reason,
        expected=expected,
        seconds=done.seconds,
    )
