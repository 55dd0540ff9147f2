"""checklist.judge: every step of the checklist, from a trace and what was expected of it."""

from __future__ import annotations

from dataclasses import replace

from harness.core.checklist.model import ORDER, PENDING, SKIP, TITLES, ChecklistReport, CheckStep, Expectation
from harness.core.checklist.trace_steps import judge_trace
from harness.core.checklist.workspace_steps import check_external_id, check_saml_enabled, check_trust
from harness.core.trace import Trace


def judge(trace: Trace, expectation: Expectation, *, interactive: bool = False) -> ChecklistReport:
    """The checklist's verdicts on `trace`: the workspace steps from `expectation`, the rest from the
    trace. `interactive`: the trace is a real browser's, the account may only be known from it."""
    ctx = replace(expectation)  # reading the identity from the trace may name the account
    report = replace(
        expectation.header,
        steps=[CheckStep(k, TITLES[k]) for k in ORDER],
        trace=trace,
        account=ctx.expected or "",
        identity="",
    )
    judge_workspace(report, ctx, interactive=interactive)
    judge_trace(report, ctx, interactive=interactive)
    if interactive:
        _after_a_real_browser(report, ctx)
    else:
        for key in ("saml-enabled", "external-id"):  # not predictable, and the trace named no account
            if report.step(key).status == PENDING:
                report.step(key).set(SKIP, f"{ctx.unknown}, so the account is not known: give --account")
    return report


def judge_workspace(report: ChecklistReport, ctx: Expectation, *, interactive: bool = False) -> None:
    """The steps the workspace decides before any flow: the trust, and the account's state when known."""
    check_trust(report, ctx)
    if ctx.expected or not (interactive or ctx.unknown):
        check_saml_enabled(report, ctx)
        check_external_id(report, ctx, None if interactive else ctx.predicted_identity, observed=False)


def _after_a_real_browser(report: ChecklistReport, ctx: Expectation) -> None:
    """The account and identity a real browser's trace revealed complete the workspace steps."""
    if report.step("saml-enabled").status == PENDING:
        if ctx.expected is None:
            ctx.expected = report.account or None
        if ctx.expected:
            check_saml_enabled(report, ctx)
        else:
            report.step("saml-enabled").set(SKIP, "no session opened, so the account is not known: give --account")
    if report.step("external-id").status == PENDING:
        check_external_id(report, ctx, report.identity or None, observed=bool(report.identity))
