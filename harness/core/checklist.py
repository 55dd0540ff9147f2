"""The vendor guide's "How to test" as a guided checklist, each step checked by the harness.

Steps, in the guide's order (plus the trust the vendor configured from the questionnaire):

  trust         the SP trusts the IdP (the questionnaire's fields are complete and valid)
  saml-enabled  a Manager enabled SAML for the test account (and the subscription has NDS)
  external-id   optional: the account's External ID is what the IdP sends
  open-url      the unique login URL sends the browser to the IdP with an AuthnRequest
  idp-auth      the user authenticates at the IdP, which answers with a Response
  session       the SP opens a session with the expected identity
  logout        logging out lands on the exit URL

The first three are read from the workspace (and refined by the trace); the rest from the
trace of a real flow. Every failing step names the side to fix (IdP, SP, questionnaire, or the
browser) and what to change. Demo mode drives the mock IdP with the scripted browser, at a
pace a presenter can follow; interactive mode opens a real browser and records what it does.
"""

from __future__ import annotations

import json
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from harness.core.browser import BrowserError, Credentials, ScriptedBrowser
from harness.core.flow import UNKNOWN, expect
from harness.core.questionnaire import Questionnaire
from harness.core.recorder import TraceRecorder
from harness.core.servers import Servers
from harness.core.trace import Step, Trace
from mock_idp.contract import IdPRoute
from sp.contract import ACCOUNT_PICKER, REASON_HEADER, SESSION, Route
from sp.mapping import predict
from sp.model import Account, Subscription

PASS, FAIL, SKIP, PENDING = "pass", "fail", "skip", "pending"
IDP, SP, QUESTIONNAIRE, BROWSER = "IdP", "SP", "questionnaire", "browser"

TITLES = {
    "trust": "The SP trusts your IdP (questionnaire applied)",
    "saml-enabled": "A Manager enabled SAML for the test user",
    "external-id": "Optional: the External ID is set",
    "open-url": "Open the unique login URL: the browser goes to the IdP",
    "idp-auth": "Authenticate at the IdP",
    "session": "A session opens with the expected identity",
    "logout": "Log out: the browser lands on the exit URL",
}
ORDER = list(TITLES)

CheckCallback = Callable[["ChecklistReport", "CheckStep"], None]
TraceCallback = Callable[[Trace, Step], None]


@dataclass
class CheckStep:
    key: str
    title: str
    status: str = PENDING  # pass | fail | skip | pending
    reason: str = ""  # what the harness saw
    side: str = ""  # where to fix a failure: IdP | SP | questionnaire | browser
    fix: str = ""  # what to change
    evidence: list[int] = field(default_factory=list)  # trace step indexes

    def set(self, status: str, reason: str, side: str = "", fix: str = "", evidence: list[int] | None = None) -> None:
        self.status, self.reason, self.side, self.fix = status, reason, side, fix
        self.evidence = list(evidence or [])


@dataclass
class ChecklistReport:
    idm_key: str
    subscription: str
    mode: str  # "demo" | "interactive"
    login_url: str = ""
    user: str = ""  # the IdP username (demo mode)
    account: str = ""  # the SP account expected to open a session
    identity: str = ""  # the identity value the IdP sent, when seen
    questionnaire: Questionnaire = field(default_factory=Questionnaire)
    sp_entity_id: str = ""
    acs_url: str = ""
    steps: list[CheckStep] = field(default_factory=lambda: [CheckStep(k, TITLES[k]) for k in ORDER])
    trace: Trace = field(default_factory=Trace)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    def step(self, key: str) -> CheckStep:
        return next(s for s in self.steps if s.key == key)

    @property
    def first_failure(self) -> CheckStep | None:
        return next((s for s in self.steps if s.status == FAIL), None)

    @property
    def passed(self) -> bool:
        return all(s.status in (PASS, SKIP) for s in self.steps) and self.step("session").status == PASS

    @property
    def verdict(self) -> str:
        f = self.first_failure
        if f is not None:
            return f"FAILED at “{f.title}”: {f.reason}"
        if self.passed:
            return "PASSED: SAML SSO works for this subscription"
        return "INCOMPLETE: some steps were not checked"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"], d["verdict"] = self.passed, self.verdict
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


# -- the context the steps are checked against -----------------------------------------------


@dataclass
class _Context:
    sub: Subscription  # with placeholders resolved (the running SP's view)
    login_path: str
    acs_path: str
    expected: str | None  # the SP login expected to open a session
    predicted_identity: str | None = None
    idp_visible: bool = True  # the IdP is the mock IdP, so its steps are in the trace


def _account(sub: Subscription, login: str | None) -> Account | None:
    return next((a for a in sub.accounts if a.login == login), None) if login else None


# -- workspace steps -------------------------------------------------------------------------


def _check_trust(report: ChecklistReport, ctx: _Context) -> None:
    step = report.step("trust")
    q = report.questionnaire
    problems = [p for p in q.validate() if p.field != "subscription"]  # the contact is no part of the trust
    errors = [p for p in problems if p.level == "error"]
    if errors:
        step.set(
            FAIL,
            "; ".join(str(p) for p in errors),
            QUESTIONNAIRE,
            "Correct the questionnaire and have the vendor update the trust (saml-harness onboard).",
        )
        return
    warn = "; ".join(str(p) for p in problems)
    step.set(PASS, f"trusts {q.idp_entity_id} (SSO {q.idp_sso_url})" + (f"; {warn}" if warn else ""))


def _check_saml_enabled(report: ChecklistReport, ctx: _Context) -> None:
    step = report.step("saml-enabled")
    sub = ctx.sub
    if not sub.nds_enabled:
        step.set(
            FAIL,
            f"subscription {sub.name or sub.idm_key} lacks the New Data Security Model, so SAML cannot be "
            "enabled for any of its users",
            SP,
            "The vendor must enable the New Data Security Model first.",
        )
        return
    if ctx.expected is None:
        step.set(
            FAIL,
            f"no account in subscription {sub.name or sub.idm_key} corresponds to the test user "
            f"({report.user or '?'}, identity {ctx.predicted_identity!r})",
            SP,
            "Create the account (provisioning) or name it with --account.",
        )
        return
    acct = _account(sub, ctx.expected)
    if acct is None:
        have = ", ".join(a.login for a in sub.accounts) or "none"
        step.set(
            FAIL,
            f"subscription {sub.name or sub.idm_key} has no account {ctx.expected!r} (it has: {have})",
            SP,
            "Create the account (provisioning), or test another one.",
        )
    elif not acct.active:
        step.set(FAIL, f"the account {acct.login} is deactivated", SP, "A Manager must reactivate the account.")
    elif not acct.saml_enabled:
        step.set(
            FAIL,
            f"SAML is not enabled for {acct.login}",
            SP,
            f"A Manager enables SAML in the user settings of {acct.login}.",
        )
    else:
        step.set(PASS, f"SAML is enabled for {acct.login} ({acct.role})")


def _check_external_id(report: ChecklistReport, ctx: _Context, identity: str | None, observed: bool) -> None:
    step = report.step("external-id")
    sub = ctx.sub
    acct = _account(sub, ctx.expected)
    if sub.mapping_mode == "login":
        step.set(SKIP, "this subscription maps the SAML identity to the login name: no External ID is needed")
        return
    if acct is None:
        step.set(SKIP, "no test account to check")
        return
    seen = "the IdP sends" if observed else "the IdP will send"
    if not acct.external_id:
        if sub.mapping_mode == "external_id":
            step.set(
                FAIL,
                f"{acct.login} has no External ID, and this subscription maps the identity to it",
                SP,
                f"A Manager sets the External ID of {acct.login} to the value {seen} ({identity!r})."
                if identity
                else f"A Manager sets the External ID of {acct.login}.",
            )
        else:
            step.set(SKIP, f"optional: {acct.login} has no External ID, so the SP maps the identity to its login")
        return
    if identity is None:
        step.set(
            PASS if not observed else FAIL,
            f"External ID of {acct.login} is {acct.external_id!r}"
            + (
                "; the identity the IdP sends is not known yet"
                if not observed
                else "; the IdP sent no identity the SP maps by"
            ),
            IDP if observed else "",
            "Make the IdP send the identity (NameID or the mapped attribute)." if observed else "",
        )
        return
    if acct.external_id == identity:
        step.set(PASS, f"External ID of {acct.login} is {acct.external_id!r}, which {seen}")
    elif sub.mapping_mode == "either" and acct.login == identity:
        step.set(
            PASS, f"{seen} {identity!r}, the login of {acct.login}; its External ID {acct.external_id!r} is not used"
        )
    else:
        step.set(
            FAIL,
            f"External ID of {acct.login} is {acct.external_id!r}, but {seen} {identity!r}",
            SP,
            f"A Manager sets the External ID of {acct.login} to {identity!r} (SP side), or the IdP sends "
            f"{acct.external_id!r} for this user (IdP side).",
        )


# -- trace steps -----------------------------------------------------------------------------


# IdP pages a user may get wrong and retry: a 4xx there decides nothing.
_IDP_RETRY_PAGES = (IdPRoute.LOGIN, IdPRoute.MFA, "/favicon.ico")


def _path(step: Step) -> str:
    return urlsplit(step.url).path


def _kind(step: Step) -> str:
    return step.message.summary.kind if step.message else ""


# (side, fix) for each SP refusal code at the ACS.
_ACS_FIX = {
    "signature-missing": (IDP, "Sign the Assertion at the IdP (the SP requires a signed Assertion)."),
    "weak-algorithm": (IDP, "Sign with RSA-SHA256 (or stronger) at the IdP; SHA-1 is refused."),
    "algorithm-unsupported": (IDP, "Sign with RSA-SHA256 at the IdP."),
    "transform-forbidden": (IDP, "Use the standard enveloped-signature and exclusive C14N transforms."),
    "signature-wrong-reference": (IDP, "Sign the Assertion element itself (Reference URI = its ID)."),
    "audience-mismatch": (IDP, "Set the Audience (the SP entityID) at the IdP to {sp_entity}."),
    "destination-mismatch": (IDP, "Set the ACS URL at the IdP to {acs}."),
    "recipient-mismatch": (IDP, "Set the ACS URL (Recipient) at the IdP to {acs}."),
    "expired": (IDP, "Check the IdP server's clock (NTP) and the assertion lifetime."),
    "not-yet-valid": (IDP, "Check the IdP server's clock (NTP): it runs ahead."),
    "time-missing": (IDP, "Have the IdP put NotBefore/NotOnOrAfter in the Assertion."),
    "status-not-success": (IDP, "The IdP answered with an error status: see the IdP's logs."),
    "encrypted-assertion-unsupported": (IDP, "Turn off assertion encryption for this SP at the IdP."),
    "identity-missing": (IDP, "Release the identity the SP maps by (NameID or attribute) at the IdP."),
    "not-saml2": (IDP, "Configure the IdP for SAML 2.0 with this SP."),
    "assertion-count": (IDP, "Send exactly one Assertion."),
    "subject-missing": (IDP, "Send a Subject with the user's NameID."),
    "bearer-missing": (IDP, "Send a bearer SubjectConfirmation."),
    "authn-statement-missing": (IDP, "Send an AuthnStatement."),
    "issuer-mismatch": (QUESTIONNAIRE, "The IdP EntityID in the questionnaire must equal the Issuer the IdP sends."),
    "saml-not-configured": (QUESTIONNAIRE, "Complete the questionnaire and have the vendor configure the trust."),
    "trust-misconfigured": (QUESTIONNAIRE, "Send a certificate that parses (PEM)."),
    "nds-required": (SP, "The vendor must enable the New Data Security Model for the subscription."),
    "saml-disabled-for-user": (SP, "A Manager enables SAML for the account in its user settings."),
    "account-inactive": (SP, "A Manager reactivates the account."),
    "unsolicited-not-allowed": (SP, "Start at the unique login URL (SP-initiated), or allow IdP-initiated logins."),
    "in-response-to-unknown": (BROWSER, "Start again at the unique login URL, in one browser tab."),
    "in-response-to-other-session": (BROWSER, "Finish the login in the browser that opened the unique URL."),
    "replayed": (BROWSER, "Do not resubmit an old Response: start again at the unique login URL."),
}


def _acs_refusal(step: Step, report: ChecklistReport, ctx: _Context) -> tuple[str, str, str]:
    """(reason, side, fix) for a refused Response."""
    code, reason = step.code or "refused", step.reason or step.code
    text = f"the SP refused the Response: {code} — {reason}"
    if code in ("signature-invalid",):
        sigs = step.message.signatures if step.message else []
        signed_with = next((s.keyinfo_cert_sha256 for s in sigs if s.keyinfo_cert_sha256), None)
        trusted = next((s.trusted_cert_sha256 for s in sigs if s.trusted_cert_sha256), None)
        detail = ""
        if signed_with and trusted and signed_with != trusted:
            detail = (
                f" The IdP signed with the certificate SHA-256 {_short(signed_with)}, the questionnaire "
                f"gave SHA-256 {_short(trusted)}."
            )
        return (
            text + "." + detail,
            QUESTIONNAIRE,
            "Send the IdP's current signing certificate in the questionnaire (the vendor updates the trust), "
            "or make the IdP sign with the key of the certificate you sent.",
        )
    if code == "user-not-found":
        return (
            text,
            SP,
            "Give the account the identity the IdP sends: as its login, or as its External ID "
            "(a Manager sets it), or make the IdP send the login name.",
        )
    side, fix = _ACS_FIX.get(code, (IDP, "Compare the Response with the SP's checks in the trace."))
    return text, side, fix.format(sp_entity=report.sp_entity_id, acs=report.acs_url)


def _short(fp: str) -> str:
    return fp[:23] + "…" if len(fp) > 24 else fp


def _check_trace(report: ChecklistReport, ctx: _Context, *, interactive: bool = False) -> None:
    steps = report.trace.steps
    sub = ctx.sub
    opened = report.step("open-url")
    logins = [s for s in steps if s.dst == "sp" and _path(s) == ctx.login_path]
    acs = [s for s in steps if s.dst == "sp" and _path(s).rstrip("/") == ctx.acs_path.rstrip("/")]
    idp_steps = [s for s in steps if s.dst == "idp"]
    if not logins:
        if acs:
            opened.set(SKIP, "the login started at the IdP (IdP-initiated): the unique URL was not used")
        else:
            opened.set(FAIL, "the unique login URL was never opened", BROWSER, f"Open {report.login_url} in a browser.")
    else:
        s = logins[-1] if not acs else next((x for x in reversed(logins) if x.index < acs[0].index), logins[-1])
        if s.status in (301, 302, 303, 307) and _kind(s) == "AuthnRequest":
            location = s.location or ""
            if sub.idp_sso_url and not location.startswith(sub.idp_sso_url):
                opened.set(
                    FAIL,
                    f"the SP redirected to {location[:80]}, not to the SSO URL {sub.idp_sso_url}",
                    SP,
                    "The vendor must configure the trust with the questionnaire's SSO URL.",
                    [s.index],
                )
            else:
                opened.set(
                    PASS,
                    f"the SP sent an AuthnRequest ({s.message.summary.id}) by HTTP-Redirect to {sub.idp_sso_url}",
                    evidence=[s.index],
                )
        else:
            code = s.code or str(s.status)
            side = QUESTIONNAIRE if code == "saml-not-configured" else SP
            fix = {
                "unknown-subscription": "Use the unique URL with the idm_key the vendor gave you.",
                "nds-required": "The vendor must enable the New Data Security Model for the subscription.",
                "saml-not-configured": "Complete the questionnaire; the vendor configures the trust from it.",
            }.get(code, "See the SP's answer in the trace.")
            opened.set(
                FAIL, f"the SP answered {s.status} {code}" + (f": {s.reason}" if s.reason else ""), side, fix, [s.index]
            )

    auth = report.step("idp-auth")
    sent = [s for s in idp_steps if _kind(s) == "Response" and s.status < 400]
    if idp_steps:
        ctx.idp_visible = True
        refused_req = [s for s in idp_steps if _kind(s) == "AuthnRequest" and s.status >= 400]
        bad_pw = [s for s in idp_steps if _path(s).endswith(IdPRoute.LOGIN) and s.status == 401]
        bad_code = [s for s in idp_steps if _path(s).endswith(IdPRoute.MFA) and s.status == 401]
        mfa = [s for s in idp_steps if _path(s).endswith(IdPRoute.MFA) and s.status < 400]
        if sent:
            r = sent[0]
            status = r.message.summary.status if r.message else ""
            if status and not status.endswith(":Success"):
                auth.set(FAIL, f"the IdP answered with the status {status}", IDP, "See the IdP's logs.", [r.index])
            else:
                who = r.message.summary.name_id if r.message else ""
                extra = " with a second factor (TOTP)" if mfa else ""
                auth.set(
                    PASS,
                    f"the user authenticated at the IdP{extra}; it sent a signed Response for {who!r} "
                    f"to {r.message.summary.destination if r.message else '?'}",
                    evidence=[r.index],
                )
        elif refused_req:
            s = refused_req[0]
            code = s.code or s.headers.get(REASON_HEADER, "") or str(s.status)
            auth.set(
                FAIL,
                f"the IdP refused the AuthnRequest: {code}",
                IDP,
                f"Register the SP at the IdP: entityID {report.sp_entity_id}, ACS URL {report.acs_url} "
                "(saml-harness onboard --export-sp writes them).",
                [s.index],
            )
        elif bad_code:
            auth.set(
                FAIL,
                "the IdP refused the second-factor (TOTP) code",
                IDP,
                "Check the user's authenticator app and the clocks.",
                [bad_code[-1].index],
            )
        elif bad_pw:
            auth.set(
                FAIL,
                f"the IdP refused the username or password of {report.user or 'the user'}",
                IDP,
                "Use the user's corporate credentials (the IdP's directory).",
                [bad_pw[-1].index],
            )
        else:
            auth.set(FAIL, "the IdP never answered with a Response", IDP, "Finish signing in at the IdP.")
    elif acs:
        ctx.idp_visible = False
        auth.set(
            PASS,
            "the IdP sent a Response to the ACS (the IdP itself is outside the harness; its messages are in the trace)",
            evidence=[acs[0].index],
        )
    elif opened.status == PASS:
        auth.set(
            FAIL,
            f"no Response reached the SP's ACS {report.acs_url}",
            IDP,
            f"At the IdP, check that the user can sign in and that the SP's ACS URL is {report.acs_url}.",
        )
    else:
        auth.set(SKIP, "not reached")

    sess = report.step("session")
    if not acs:
        sess.set(
            SKIP if auth.status != PASS else FAIL,
            "no Response reached the SP" if auth.status == PASS else "not reached",
            IDP if auth.status == PASS else "",
        )
    else:
        a = acs[0]
        _read_identity(report, ctx, a)
        if a.verdict != "ok":
            reason, side, fix = _acs_refusal(a, report, ctx)
            sess.set(FAIL, reason, side, fix, [a.index])
        else:
            login, ev = a.login, [a.index]
            if a.code == ACCOUNT_PICKER or not login:
                picks = [s for s in steps if s.dst == "sp" and _path(s) == Route.PICK and s.verdict == "ok"]
                login = picks[0].login if picks else None
                ev += [p.index for p in picks[:1]]
            mapping = next((c.detail for c in a.checks if c.name == "Mapping"), "")
            if login is None:
                sess.set(
                    FAIL,
                    "the SP showed the account picker but no account was picked",
                    BROWSER,
                    "Pick an account on the SP's page.",
                    ev,
                )
            elif ctx.expected and login != ctx.expected:
                sess.set(
                    FAIL,
                    f"a session opened for {login}, but the test expected {ctx.expected} ({mapping})",
                    SP,
                    "Check the accounts' logins and External IDs: the identity maps to another account.",
                    ev,
                )
            else:
                picker = " after the account picker" if a.code == ACCOUNT_PICKER else ""
                sess.set(
                    PASS, f"session opened for {login} in {sub.name or sub.idm_key}{picker} ({mapping})", evidence=ev
                )
                if not report.account:
                    report.account = login

    out = report.step("logout")
    logouts = [s for s in steps if s.dst == "sp" and _path(s) == Route.LOGOUT]
    if sess.status != PASS:
        out.set(SKIP, "not reached")
    elif not logouts:
        out.set(
            SKIP if interactive else FAIL,
            "no logout was seen" + (": log out in the SP to check the exit URL" if interactive else ""),
            BROWSER if not interactive else "",
        )
    else:
        s = logouts[0]
        target = urljoin(s.url, s.location or "")
        if sub.exit_url:
            if s.status in (301, 302, 303, 307) and target == sub.exit_url:
                out.set(PASS, f"logout redirected to the exit URL {sub.exit_url}", evidence=[s.index])
            else:
                out.set(
                    FAIL,
                    f"logout went to {target or s.status}, not the exit URL {sub.exit_url}",
                    SP,
                    "The vendor sets the exit URL from the questionnaire.",
                    [s.index],
                )
        else:
            out.set(
                PASS,
                f"logout went to the SP's logged-out page ({urlsplit(target).path}); the questionnaire "
                "gives no exit URL",
                evidence=[s.index],
            )


def _read_identity(report: ChecklistReport, ctx: _Context, acs_step: Step) -> None:
    """The identity the IdP sent, read from the Response at the ACS, re-checks the External ID."""
    msg = acs_step.message
    if msg is None or msg.summary.kind != "Response":
        return
    seen = predict(ctx.sub, msg.summary.name_id, msg.summary.attributes)
    identity = seen.identity
    if identity:
        report.identity = identity
        if ctx.expected is None:
            ctx.expected = seen.account
            report.account = ctx.expected or ""
        _check_external_id(report, ctx, identity, observed=True)


# -- running it -------------------------------------------------------------------------------


def _setup(servers: Servers, idm_key: str, mode: str) -> tuple[ChecklistReport, _Context]:
    config = servers.sp_app.config
    sub = config.subscription(idm_key)
    if sub is None:
        raise ValueError(f"no subscription has the idm_key {idm_key!r}")
    report = ChecklistReport(
        idm_key=idm_key,
        subscription=sub.name or idm_key,
        mode=mode,
        login_url=servers.login_url(idm_key),
        questionnaire=Questionnaire.from_subscription(sub),
        sp_entity_id=config.entity_id,
        acs_url=config.acs_url,
        trace=Trace(title=f"Onboarding checklist: {sub.name or idm_key}", flow="sp", subscription=idm_key),
    )
    return report, _Context(sub=sub, login_path=config.login_path, acs_path=config.acs_path, expected=None)


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
    report, ctx = _setup(servers, idm_key, "demo")
    report.user = username
    user = servers.workspace.user(username)
    if user is None:
        raise ValueError(f"the mock IdP has no user {username!r}")
    predicted = expect(servers, idm_key, username)
    ctx.predicted_identity = predicted.identity
    ctx.expected = account or predicted.account
    report.account = ctx.expected or ""
    announce = _Announcer(report, on_check, pace, wait)
    _check_trust(report, ctx)
    if ctx.expected or predicted.outcome != UNKNOWN:
        _check_saml_enabled(report, ctx)
        _check_external_id(report, ctx, ctx.predicted_identity, observed=False)
    announce(["trust", "saml-enabled", "external-id"])

    def step_seen(trace: Trace, step: Step) -> None:
        if on_trace:
            on_trace(trace, step)
        if pace > 0:
            wait(pace)

    creds = Credentials(
        username=username,
        password=password if password is not None else user.password,
        totp_secret=user.totp_secret,
        pick=ctx.expected,
    )
    _drive(servers, report, creds, step_seen)
    report.trace.user = username
    _check_trace(report, ctx)
    for key in ("saml-enabled", "external-id"):  # not predictable, and the trace named no account
        if report.step(key).status == PENDING:
            report.step(key).set(SKIP, f"{predicted.explanation}, so the account is not known: give --account")
    announce(ORDER)
    report.seconds = time.perf_counter() - started
    return report


def _drive(servers: Servers, report: ChecklistReport, creds: Credentials, on_step: TraceCallback) -> None:
    """Unique URL → IdP → ACS → logout, following the exit URL only when it is on loopback."""
    browser = ScriptedBrowser(creds)
    trace = report.trace
    certs = {s.idp_entity_id: s.idp_cert_pem for s in servers.sp_app.config.subscriptions}
    recorder = TraceRecorder(trace, flow_id=browser.flow_id, trusted_cert=certs.get, on_step=on_step)
    servers.add_listener(recorder)
    try:
        browser.get(report.login_url)
        who = browser.get(servers.sp_base + Route.WHOAMI)
        if who.status == 200:
            r = browser.session.get(servers.sp_base + Route.LOGOUT, allow_redirects=False, timeout=browser.timeout)
            target = urljoin(servers.sp_base + "/", r.headers.get("Location", ""))
            host = urlsplit(target).hostname or ""
            if r.is_redirect and host in ("127.0.0.1", "localhost", "::1"):
                browser.get(target)
    except BrowserError as err:
        trace.outcome, trace.outcome_detail = trace.outcome or "error", str(err)
    finally:
        servers.remove_listener(recorder)
        browser.close()


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
    report, ctx = _setup(servers, idm_key, "interactive")
    ctx.expected = account
    report.account = account or ""
    announce = _Announcer(report, on_check, 0.0, time.sleep)
    _check_trust(report, ctx)
    if account:
        _check_saml_enabled(report, ctx)
        _check_external_id(report, ctx, None, observed=False)
    announce(["trust", "saml-enabled", "external-id"])
    decided, logged_out = threading.Event(), threading.Event()
    cancel = cancel or threading.Event()

    def watch(trace: Trace, step: Step) -> None:
        if on_trace:
            on_trace(trace, step)
        path = _path(step)
        if step.dst == "sp":
            if path == Route.LOGOUT:
                logged_out.set()
                decided.set()
            elif path.rstrip("/") == ctx.acs_path.rstrip("/") and (step.verdict == "refused" or step.code == SESSION):
                decided.set()
            elif path == Route.PICK and step.verdict == "ok":
                decided.set()
            elif path == ctx.login_path and step.status >= 400:
                decided.set()
        elif step.dst == "idp" and step.status >= 400 and not path.endswith(_IDP_RETRY_PAGES):
            decided.set()

    certs = {s.idp_entity_id: s.idp_cert_pem for s in servers.sp_app.config.subscriptions}
    recorder = TraceRecorder(report.trace, flow_id=None, trusted_cert=certs.get, on_step=watch)
    servers.add_listener(recorder)
    try:
        opener(report.login_url)
        deadline = time.monotonic() + timeout
        while not decided.is_set() and not cancel.is_set() and time.monotonic() < deadline:
            decided.wait(0.1)
        session = any(s.code == SESSION and s.verdict == "ok" for s in report.trace.steps)
        if session and not logged_out.is_set():
            deadline = time.monotonic() + logout_timeout
            while not logged_out.is_set() and not cancel.is_set() and time.monotonic() < deadline:
                logged_out.wait(0.1)
            time.sleep(0.2)  # the exit page's request, if it is ours
    finally:
        servers.remove_listener(recorder)
    if ctx.expected is None and report.account:
        ctx.expected = report.account
    _check_trace(report, ctx, interactive=True)
    if report.step("saml-enabled").status == PENDING:
        if ctx.expected is None:
            ctx.expected = report.account or None
        if ctx.expected:
            _check_saml_enabled(report, ctx)
        else:
            report.step("saml-enabled").set(SKIP, "no session opened, so the account is not known: give --account")
    if report.step("external-id").status == PENDING:
        _check_external_id(report, ctx, report.identity or None, observed=bool(report.identity))
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


def format_report(report: ChecklistReport) -> str:
    """Plain text for the command line."""
    marks = {PASS: "✔", FAIL: "✘", SKIP: "–", PENDING: "?"}
    lines = [
        f"Onboarding checklist: {report.subscription} (idm_key {report.idm_key}, {report.mode} mode)",
        f"unique login URL: {report.login_url}",
    ]
    if report.user:
        lines.append(f"test user: {report.user} at the IdP → account {report.account or '?'} at the SP")
    lines.append("")
    for i, s in enumerate(report.steps, 1):
        lines.append(f"{marks[s.status]} {i}. {s.title}")
        if s.reason:
            lines.append(f"     {s.reason}")
        if s.status == FAIL and s.fix:
            lines.append(f"     fix ({s.side} side): {s.fix}")
        if s.evidence:
            lines.append(f"     trace step{'s' if len(s.evidence) > 1 else ''} {', '.join(map(str, s.evidence))}")
    lines += ["", report.verdict]
    return "\n".join(lines)
