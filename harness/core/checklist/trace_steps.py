"""The steps read from the trace: the unique URL, the IdP, the session, the logout.

`judge` (in `judge.py`) runs them in order over a finished trace; each sets one `CheckStep` and
names, on failure, the side to fix and what to change.
"""

from __future__ import annotations

from urllib.parse import urljoin

from harness.core.checklist.model import (
    BROWSER,
    FAIL,
    IDP,
    PASS,
    QUESTIONNAIRE,
    SKIP,
    SP,
    ChecklistReport,
    CheckStep,
    Expectation,
)
from harness.core.checklist.workspace_steps import check_external_id
from harness.core.safe_url import urlsplit
from harness.core.status_advice import advice
from harness.core.trace import Step
from mock_idp.contract import IdPRoute
from sp.contract import ACCOUNT_PICKER, REASON_HEADER, Reason, Route
from sp.mapping import predict

# IdP pages a user may get wrong and retry: a 4xx there decides nothing.
IDP_RETRY_PAGES = (IdPRoute.LOGIN, IdPRoute.MFA, "/favicon.ico")


def path_of(step: Step) -> str:
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
    "encrypted-assertion-unsupported": (
        IDP,
        "Turn off assertion encryption for this SP at the IdP, or give the subscription an encryption key.",
    ),
    "encrypted-assertion-required": (IDP, "Encrypt the Assertion with the SP's encryption certificate (metadata)."),
    "decryption-failed": (IDP, "Encrypt with the certificate in the SP's current metadata (use=encryption)."),
    "encryption-algorithm-unsupported": (IDP, "Encrypt with AES-128/256 (GCM or CBC) and RSA-OAEP."),
    "encryption-weak-algorithm": (IDP, "Wrap the key with RSA-OAEP instead of RSA 1.5 at the IdP."),
    "encrypted-malformed": (IDP, "Send one EncryptedData with its EncryptedKey inline, no external references."),
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


def _acs_refusal(step: Step, report: ChecklistReport, ctx: Expectation) -> tuple[str, str, str]:
    """(reason, side, fix) for a refused Response."""
    code, reason = step.code or "refused", step.reason or step.code
    text = f"the SP refused the Response: {code} — {reason}"
    if code == Reason.SIGNATURE_INVALID:
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
    if code == Reason.USER_NOT_FOUND:
        return (
            text,
            SP,
            "Give the account the identity the IdP sends: as its login, or as its External ID "
            "(a Manager sets it), or make the IdP send the login name.",
        )
    side, fix = (code == "status-not-success" and advice(reason)) or _ACS_FIX.get(
        code, (IDP, "Compare the Response with the SP's checks in the trace.")
    )
    return text, side, fix.format(sp_entity=report.sp_entity_id, acs=report.acs_url)


def _short(fp: str) -> str:
    return fp[:23] + "…" if len(fp) > 24 else fp


def judge_trace(report: ChecklistReport, ctx: Expectation, *, interactive: bool = False) -> None:
    """Every trace step of `report` from `report.trace`, in the guide's order."""
    steps = report.trace.steps
    logins = [s for s in steps if s.dst == "sp" and path_of(s) == ctx.login_path]
    acs = [s for s in steps if s.dst == "sp" and path_of(s).rstrip("/") == ctx.acs_path.rstrip("/")]
    idp_steps = [s for s in steps if s.dst == "idp"]
    judge_open_url(report, ctx, logins, acs)
    judge_idp_auth(report, ctx, idp_steps, acs)
    judge_session(report, ctx, acs)
    judge_logout(report, ctx, interactive=interactive)


def judge_open_url(report: ChecklistReport, ctx: Expectation, logins: list[Step], acs: list[Step]) -> None:
    sub = ctx.sub
    opened = report.step("open-url")
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


def judge_idp_auth(report: ChecklistReport, ctx: Expectation, idp_steps: list[Step], acs: list[Step]) -> None:
    auth = report.step("idp-auth")
    opened = report.step("open-url")
    if idp_steps:
        ctx.idp_visible = True
        _judge_at_the_idp(report, auth, idp_steps)
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


def _judge_at_the_idp(report: ChecklistReport, auth: CheckStep, idp_steps: list[Step]) -> None:
    """The IdP is in the trace: did it answer with a Response, and if not, why not?"""
    sent = [s for s in idp_steps if _kind(s) == "Response" and s.status < 400]
    refused_req = [s for s in idp_steps if _kind(s) == "AuthnRequest" and s.status >= 400]
    bad_pw = [s for s in idp_steps if path_of(s).endswith(IdPRoute.LOGIN) and s.status == 401]
    bad_code = [s for s in idp_steps if path_of(s).endswith(IdPRoute.MFA) and s.status == 401]
    mfa = [s for s in idp_steps if path_of(s).endswith(IdPRoute.MFA) and s.status < 400]
    if sent:
        r = sent[0]
        status = r.message.summary.status if r.message else ""
        if status and not status.endswith(":Success"):
            side, fix = advice(status) or (IDP, "See the IdP's logs.")
            auth.set(FAIL, f"the IdP answered with the status {status}", side, fix, [r.index])
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


def judge_session(report: ChecklistReport, ctx: Expectation, acs: list[Step]) -> None:
    steps = report.trace.steps
    sub = ctx.sub
    auth = report.step("idp-auth")
    sess = report.step("session")
    if not acs:
        sess.set(
            SKIP if auth.status != PASS else FAIL,
            "no Response reached the SP" if auth.status == PASS else "not reached",
            IDP if auth.status == PASS else "",
        )
    else:
        a = acs[0]
        read_identity(report, ctx, a)
        if a.verdict != "ok":
            reason, side, fix = _acs_refusal(a, report, ctx)
            sess.set(FAIL, reason, side, fix, [a.index])
        else:
            login, ev = a.login, [a.index]
            if a.code == ACCOUNT_PICKER or not login:
                picks = [s for s in steps if s.dst == "sp" and path_of(s) == Route.PICK and s.verdict == "ok"]
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
                signed = next((c.detail for c in a.checks if c.name == "Assertion signature" and c.ok), "")
                signed = f"; the Assertion {signed.rsplit(' (', 1)[0]}" if "rollover" in signed else ""  # which one
                sess.set(
                    PASS,
                    f"session opened for {login} in {sub.name or sub.idm_key}{picker} ({mapping}){signed}",
                    evidence=ev,
                )
                if not report.account:
                    report.account = login


def judge_logout(report: ChecklistReport, ctx: Expectation, *, interactive: bool = False) -> None:
    steps = report.trace.steps
    sub = ctx.sub
    sess = report.step("session")
    out = report.step("logout")
    seen = [s for s in steps if s.dst == "sp" and path_of(s) == Route.LOGOUT]
    # A logout confirmation page (200) is not a logout: judge the request that ended the session.
    logouts = [s for s in seen if s.status in (301, 302, 303, 307)] or seen
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
        if s.message is not None and s.message.summary.kind == "LogoutRequest":
            s, target, problem = single_logout_landing(steps, s)
            if problem:
                out.set(FAIL, problem, IDP, "Single Logout with the IdP did not complete (see the trace).", [s.index])
                return
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


def single_logout_landing(steps: list[Step], start: Step) -> tuple[Step, str, str]:
    """After the SP sent a LogoutRequest: the SP's step that took the IdP's LogoutResponse, where it sent
    the browser, and what went wrong when it did not complete."""
    after = [x for x in steps if x.index > start.index]
    answers = [x for x in after if x.dst == "sp" and x.message and x.message.summary.kind == "LogoutResponse"]
    if not answers:
        refused = [x for x in after if x.dst == "idp" and x.verdict == "refused"]
        if refused:
            x = refused[0]
            return x, "", f"the IdP refused the SP's LogoutRequest: {x.code} — {x.reason}"
        return start, "", "the SP sent a LogoutRequest to the IdP, but no LogoutResponse came back"
    x = answers[0]
    if x.verdict == "refused":
        return x, "", f"the SP refused the IdP's LogoutResponse: {x.code} — {x.reason}"
    return x, urljoin(x.url, x.location or ""), ""


def read_identity(report: ChecklistReport, ctx: Expectation, acs_step: Step) -> None:
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
        check_external_id(report, ctx, identity, observed=True)
