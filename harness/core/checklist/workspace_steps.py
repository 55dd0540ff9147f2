"""The steps read from the workspace: the trust, SAML enabled for the account, its External ID."""

from __future__ import annotations

from harness.core.checklist.model import (
    FAIL,
    IDP,
    PASS,
    QUESTIONNAIRE,
    SKIP,
    SP,
    ChecklistReport,
    Expectation,
    account_of,
)


def check_trust(report: ChecklistReport, ctx: Expectation) -> None:
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


def check_saml_enabled(report: ChecklistReport, ctx: Expectation) -> None:
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
    acct = account_of(sub, ctx.expected)
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


def check_external_id(report: ChecklistReport, ctx: Expectation, identity: str | None, observed: bool) -> None:
    step = report.step("external-id")
    sub = ctx.sub
    acct = account_of(sub, ctx.expected)
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
