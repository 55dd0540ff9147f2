"""The checklist as plain text for the command line."""

from __future__ import annotations

from harness.core.checklist.model import FAIL, PASS, PENDING, SKIP, ChecklistReport


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
