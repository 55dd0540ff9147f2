"""The onboarding test report: one self-contained HTML page a customer can attach to a ticket.

It holds the checklist verdicts (with the side to fix), the questionnaire as configured, the
certificate's fingerprints, the SP's side, and every trace step with its SAML message, the SP's
checks and the signatures. No scripts, no external files. The run report's sequence diagram
(harness.core.report) is included when that module is there.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

from harness.core.certs import CertError, describe_cert
from harness.core.checklist import FAIL, PASS, SKIP, ChecklistReport
from harness.core.report import CSP_META
from harness.core.trace import Step

e = html.escape

_CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1100px;color:#263238;line-height:1.4}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #cfd8dc}h3{font-size:14px;margin:14px 0 6px}
.verdict{padding:10px 14px;border-radius:6px;font-weight:bold}.passed{background:#e8f5e9;color:#1b5e20}
.failed{background:#ffebee;color:#b71c1c}.incomplete{background:#eceff1;color:#37474f}
table{border-collapse:collapse;margin:6px 0;width:100%;font-size:13px}
td,th{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}
table.kv th{width:190px}
td.m{width:24px;text-align:center;font-weight:bold}.pass{color:#2e7d32}.fail{color:#c62828}.skip{color:#78909c}
.fix{color:#b71c1c}.side{display:inline-block;padding:0 6px;border-radius:4px;background:#fff3e0;color:#e65100;
font-size:12px;margin-right:4px}
pre{background:#fafafa;border:1px solid #e0e0e0;padding:8px;overflow-x:auto;font-size:12px}
.meta{color:#607d8b;font-size:13px}details summary{cursor:pointer;color:#1565c0}.step{margin-top:18px}
.ok{color:#2e7d32}.refused{color:#c62828}
"""

MARK = {PASS: "✔", FAIL: "✘", SKIP: "–"}


def _table(rows: list[tuple[str, str]]) -> str:
    return '<table class="kv">' + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"


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
    return _table(rows) + f"<details><summary>PEM</summary><pre>{e(pem.strip())}</pre></details>"


def _step(step: Step) -> str:
    verdict = {"ok": "accepted", "refused": "refused", "error": "error"}.get(step.verdict, "")
    head = f"Step {step.index}: {step.src} → {step.dst}: {step.label}"
    out = [f'<div class="step" id="step-{e(str(step.index))}"><h3>{e(head)}</h3>']
    line = f"<b>{e(step.method)}</b> {e(step.url)} → <b>{e(str(step.status))}</b>"
    if verdict:
        line += f' <span class="{e(step.verdict)}">{e(verdict)}</span>'
    if step.code and step.verdict != "ok":
        line += f" — {e(step.code)}"
    if step.reason:
        line += f": {e(step.reason)}"
    out.append(f"<p>{line}</p>")
    if step.explanation:
        out.append(f'<p class="meta">{e(step.explanation)}</p>')
    if step.checks:
        rows = "".join(
            f'<tr><td class="m {"pass" if c.ok else ("skip" if c.ok is None else "fail")}">'
            f"{'✔' if c.ok else ('–' if c.ok is None else '✘')}</td><th>{e(c.name)}</th><td>{e(c.detail)}</td></tr>"
            for c in step.checks
        )
        out.append(f"<table>{rows}</table>")
    msg = step.message
    if msg is not None:
        s = msg.summary
        rows = [
            (label, value)
            for label, value in (
                ("Message", s.kind),
                ("ID", s.id),
                ("InResponseTo", s.in_response_to),
                ("Issuer", s.issuer),
                ("Destination", s.destination),
                ("Status", s.status),
                ("ACS URL", s.acs_url),
                ("NameID", s.name_id),
                ("NameID format", s.name_id_format),
                ("Recipient", s.recipient),
                ("Valid from", s.not_before),
                ("Valid until", s.not_on_or_after),
                ("Audience", ", ".join(s.audiences)),
                ("Authn context", s.authn_context),
                ("Signed", ", ".join(s.signed_elements)),
            )
            if value
        ]
        rows += [(f"attribute {k}", ", ".join(v)) for k, v in s.attributes.items()]
        out.append(_table(rows))
        for sig in msg.signatures:
            sig_rows = [
                ("Signature on", f"{sig.element} #{sig.element_id}"),
                ("Algorithm", f"{sig.sig_alg.rsplit('#', 1)[-1]} / digest {sig.digest_alg.rsplit('#', 1)[-1]}"),
                ("Signed with (KeyInfo)", f"{sig.keyinfo_subject or '?'} SHA-256 {sig.keyinfo_cert_sha256 or '?'}"),
                ("Trusted certificate", f"{sig.trusted_subject or '?'} SHA-256 {sig.trusted_cert_sha256 or '?'}"),
                ("Verdict", sig.verdict),
            ]
            out.append(_table(sig_rows))
        if msg.xml:
            out.append(f"<details><summary>XML</summary><pre>{e(msg.xml)}</pre></details>")
    out.append("</div>")
    return "".join(out)


def _diagram(report: ChecklistReport) -> str:
    try:
        from harness.core.report import diagram_svg

        return f"<h2>Sequence</h2>{diagram_svg(report.trace.steps)}"
    except Exception:  # the diagram is a bonus (another module's); the report stands without it
        return ""


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
    questionnaire = _table(
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
    trace = "".join(_step(s) for s in report.trace.steps) or "<p>No request was recorded.</p>"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{CSP_META}'
        f"<title>SAML SSO onboarding test: {e(report.subscription)}</title><style>{_CSS}</style></head><body>"
        f'<h1>SAML SSO onboarding test: {e(report.subscription)}</h1><p class="meta">{e(meta)}</p>'
        f'<p class="verdict {e(level)}">{e(report.verdict)}</p>'
        f"<h2>Test procedure</h2>{_checklist(report)}{_table(who)}"
        f"<h2>Questionnaire (as configured)</h2>{questionnaire}"
        + (f"<ul>{warn}</ul>" if warn else "")
        + f"<h3>IdP certificate</h3>{_certificate(q.idp_certificate)}"
        f"<h2>Service Provider</h2>{_table(sp_rows)}"
        f"{_diagram(report)}<h2>Trace</h2>{trace}</body></html>\n"
    )


def write_report(report: ChecklistReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(report), encoding="utf-8")
    tmp.replace(path)
    return path
