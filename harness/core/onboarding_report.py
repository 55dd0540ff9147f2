"""The onboarding test report: one self-contained HTML page a customer can attach to a ticket.

It holds the checklist verdicts (with the side to fix), the questionnaire as configured, the
certificate's fingerprints, the SP's side, and every trace step with its SAML message, the SP's
checks and the signatures, rendered by the run report's own pieces (harness.core.report_html and
its sequence diagram). No scripts, no external files.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.core.certs import CertError, describe_cert
from harness.core.checklist import FAIL, PASS, SKIP, ChecklistReport
from harness.core.report_diagram import diagram_svg
from harness.core.report_html import CSP_META, CSS, step_html, table_html
from harness.core.terminal import html_text

e = html_text

# The run report's stylesheet, and what only this page has: the overall result and the fixes.
_CSS = (
    CSS
    + """
.result{padding:10px 14px;border-radius:6px;font-weight:bold}.passed{background:#e8f5e9;color:#1b5e20}
.failed{background:#ffebee;color:#b71c1c}.incomplete{background:#eceff1;color:#37474f}
.skip{color:#78909c}.fix{color:#b71c1c}.side{display:inline-block;padding:0 6px;border-radius:4px;
background:#fff3e0;color:#e65100;font-size:12px;margin-right:4px}
"""
)

MARK = {PASS: "✔", FAIL: "✘", SKIP: "–"}


def _checklist(report: ChecklistReport) -> str:
    rows = []
    for i, s in enumerate(report.steps, 1):
        fix = ""
        if s.status == FAIL and s.fix:
            fix = f'<div class="fix"><span class="side">fix on the {e(s.side)} side</span>{e(s.fix)}</div>'
        ev = ", ".join(f'<a href="#step-{e(str(n))}">step {e(str(n))}</a>' for n in s.evidence)
        rows.append(
            f'<tr><td class="m {e(s.status)}">{e(MARK.get(s.status, "?"))}</td><td>{i}. {e(s.title)}</td>'
            f"<td>{e(s.reason)}{fix}</td><td>{ev}</td></tr>"
        )
    return (
        "<table><tr><th></th><th>Step</th><th>What the harness saw</th><th>Trace</th></tr>" + "".join(rows) + "</table>"
    )


def _certificate(pem: str) -> str:
    if not pem.strip():
        return "<p>No certificate.</p>"
    try:
        info = describe_cert(pem)
    except CertError as err:
        return f'<p class="fail">{e(str(err))}</p>'
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from harness.core.certs import normalize_cert_pem

    cert = x509.load_pem_x509_certificate(normalize_cert_pem(pem))
    rows = [
        ("Subject", info.subject),
        ("Issuer", info.issuer),
        ("Valid from", f"{info.not_before:%Y-%m-%d %H:%M:%S} UTC"),
        ("Valid until", f"{info.not_after:%Y-%m-%d %H:%M:%S} UTC ({info.status})"),
        ("Key", info.algorithm),
        ("SHA-256 fingerprint", info.fingerprint_sha256),
        ("SHA-1 fingerprint", cert.fingerprint(hashes.SHA1()).hex(":").upper()),
        ("Serial", f"{info.serial:X}"),
    ]
    return table_html(rows) + f"<details><summary>PEM</summary><pre>{e(pem.strip())}</pre></details>"


def render(report: ChecklistReport, *, generated: float | None = None) -> str:
    q = report.questionnaire
    level = "passed" if report.passed else ("failed" if report.first_failure else "incomplete")
    made = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(generated or time.time()))
    ran = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.started))
    meta = (
        f"subscription {report.subscription} (idm_key {report.idm_key}) · {report.mode} mode · "
        f"run {ran} ({report.seconds:.1f} s) · report made {made} by saml-harness"
    )
    who = []
    if report.user:
        who.append(("Test user at the IdP", report.user))
    who += [("Expected SP account", report.account or "?"), ("Identity sent by the IdP", report.identity or "?")]
    questionnaire = table_html(
        [
            ("IdP EntityID", q.idp_entity_id),
            ("IdP SSO URL", q.idp_sso_url),
            ("Subscription (primary contact)", q.subscription),
            ("Exit URL", q.exit_url or "(none)"),
        ]
    )
    sp_rows = [
        ("SP entityID", report.sp_entity_id),
        ("ACS URL", report.acs_url),
        ("Unique login URL", report.login_url),
    ]
    problems = q.validate()
    warn = "".join(f"<li>{e(str(p))}</li>" for p in problems)
    shown: dict[str, int] = {}
    trace = "".join(step_html(s, shown) for s in report.trace.steps) or "<p>No request was recorded.</p>"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{CSP_META}'
        f"<title>SAML SSO onboarding test: {e(report.subscription)}</title><style>{_CSS}</style></head><body>"
        f'<h1>SAML SSO onboarding test: {e(report.subscription)}</h1><p class="meta">{e(meta)}</p>'
        f'<p class="result {e(level)}">{e(report.verdict)}</p>'
        f"<h2>Test procedure</h2>{_checklist(report)}{table_html(who)}"
        f"<h2>Questionnaire (as configured)</h2>{questionnaire}"
        + (f"<ul>{warn}</ul>" if warn else "")
        + f"<h3>IdP certificate</h3>{_certificate(q.idp_certificate)}"
        f"<h2>Service Provider</h2>{table_html(sp_rows)}"
        f"<h2>Sequence</h2>{diagram_svg(report.trace.steps)}<h2>Trace</h2>{trace}</body></html>\n"
    )


def write_report(report: ChecklistReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(report), encoding="utf-8")
    tmp.replace(path)
    return path
