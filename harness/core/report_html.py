"""Self-contained HTML for people: one page per run (`render_html`), and the pieces other reports
reuse (`step_html`, `table_html`, `checks_html`, `signatures_html`, `CSS`, `CSP_META`). No
scripts, no external files, a strict Content-Security-Policy first; every value escaped.
"""

from __future__ import annotations

import time

from harness.core.report import (
    ACTORS,
    VERDICT_WORDS,
    answer_text,
    mark,
    message_sentence,
    outcome_line,
    request_text,
    signature_ok,
    signature_rows,
    summary_rows,
)
from harness.core.report_diagram import diagram_svg
from harness.core.terminal import html_text
from harness.core.trace import Check, Message, Step, Trace

CSP_META = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
)

CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px auto; max-width: 1100px; color: #263238; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #cfd8dc; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.outcome { padding: 10px 14px; border-radius: 6px; font-weight: bold; }
.ok { background: #e8f5e9; color: #1b5e20; } .refused { background: #ffebee; color: #b71c1c; }
.error { background: #f3e5f5; color: #4a148c; } .info { background: #eceff1; color: #37474f; }
table { border-collapse: collapse; margin: 6px 0; width: 100%; font-size: 13px; }
td, th { border: 1px solid #e0e0e0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; width: 180px; }
td.m { width: 22px; text-align: center; font-weight: bold; }
.pass { color: #2e7d32; } .fail { color: #c62828; } .na { color: #78909c; }
.verdict { margin: 6px 0 12px; padding: 6px 10px; border-left: 4px solid #90a4ae; background: #fafafa; }
.verdict.fail { border-color: #c62828; } .verdict.pass { border-color: #2e7d32; }
pre { background: #fafafa; border: 1px solid #e0e0e0; padding: 8px; overflow-x: auto; font-size: 12px; }
.step { margin-top: 22px; } .explain { color: #546e7a; font-style: italic; }
.meta { color: #607d8b; font-size: 13px; } details summary { cursor: pointer; color: #1565c0; }
.url { word-break: break-all; } td { overflow-wrap: anywhere; }
"""


def _cls(ok: bool | None) -> str:
    return "pass" if ok else ("na" if ok is None else "fail")


def table_html(rows: list[tuple[str, str]]) -> str:
    e = html_text
    return "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"


def checks_html(checks: list[Check]) -> str:
    e = html_text
    body = "".join(
        f'<tr><td class="m {_cls(c.ok)}">{mark(c.ok)}</td><th>{e(c.name)}</th><td>{e(c.detail)}</td></tr>'
        for c in checks
    )
    return f"<table>{body}</table>"


def signatures_html(msg: Message) -> str:
    e = html_text
    if not msg.signatures:
        return "<p>This message carries no signature.</p>"
    parts = []
    for sig in msg.signatures:
        ok = signature_ok(sig)
        rows = "".join(
            f'<tr><td class="m {_cls(p)}">{mark(p) if p is not None else ""}</td><th>{e(k)}</th><td>{e(v)}</td></tr>'
            for k, v, p in signature_rows(sig)
        )
        parts.append(
            f"<h3>Signature on the {e(sig.element)}</h3><table>{rows}</table>"
            f'<div class="verdict {_cls(ok)}">{mark(ok)} {e(sig.verdict)}</div>'
        )
    return "".join(parts)


def step_html(step: Step, shown: dict[str, int] | None = None) -> str:
    """`shown`: raw messages already rendered, by step number; a repeat is named, not repeated."""
    e = html_text
    verdict = VERDICT_WORDS.get(step.verdict, "")
    head = f"Step {step.index}: {ACTORS.get(step.src, step.src)} → {ACTORS.get(step.dst, step.dst)}"
    out = [f'<div class="step" id="step-{e(str(step.index))}"><h2>{e(head)}</h2>']
    out.append(
        f'<p class="url"><b>{e(step.method)}</b> {e(step.url)}<br>answer <b>{e(str(step.status))}</b>'
        + (f' <span class="{_cls(step.verdict == "ok")}">{e(verdict)}</span>' if verdict else "")
        + (f" — {e(step.code)}" if step.code and step.verdict != "ok" else "")
        + (f": {e(step.reason)}" if step.reason else "")
        + "</p>"
    )
    if step.explanation:
        out.append(f'<p class="explain">{e(step.explanation)}</p>')
    if step.checks:
        out.append("<h3>The SP's checks</h3>" + checks_html(step.checks))
    msg = step.message
    seen = (shown or {}).get(msg.raw) if msg is not None and msg.raw else None
    if msg is not None and seen is not None:
        kind = e(msg.summary.kind or msg.param or "message")
        out.append(f'<p>The same {kind} as in <a href="#step-{e(str(seen))}">step {e(str(seen))}</a>.</p>')
    elif msg is not None:
        if shown is not None and msg.raw:
            shown[msg.raw] = step.index
        out.append(f"<h3>{e(msg.summary.kind or msg.param or 'Message')}</h3><p>{e(message_sentence(msg))}</p>")
        out.append(table_html([(k, v) for k, v, _ in summary_rows(msg.summary)]))
        if msg.summary.attributes:
            out.append(table_html([(k, ", ".join(v)) for k, v in msg.summary.attributes.items()]))
        out.append(signatures_html(msg))
        if msg.xml:
            out.append(f"<details><summary>XML</summary><pre>{e(msg.xml)}</pre></details>")
    http_rows = [("Method", step.method), ("URL", step.url), ("Status", str(step.status))]
    if step.location:
        http_rows.append(("Location", step.location))
    http_rows += [(k, v) for k, v in step.headers.items() if k != "Location"]
    out.append(f"<details><summary>HTTP</summary>{table_html(http_rows)}</details></div>")
    return "".join(out)


def _foreign_html(trace: Trace) -> str:
    """Requests of another browser or page during a recording: listed apart, never judged."""
    if not trace.foreign:
        return ""
    e = html_text
    rows = "".join(f"<tr><td>{e(request_text(s))}</td><td>{e(answer_text(s))}</td></tr>" for s in trace.foreign)
    return (
        f"<h2>Foreign requests ({len(trace.foreign)})</h2><p>These reached the servers during the recording "
        f"without its token (another browser, or a web page): they are not the tester's steps.</p>"
        f"<table>{rows}</table>"
    )


def render_html(
    trace: Trace,
    *,
    expected: object | None = None,
    as_expected: bool | None = None,
    generated: float | None = None,
) -> str:
    """A self-contained HTML page for one run: no scripts, no external files."""
    e = html_text
    level, outcome = outcome_line(trace, expected, as_expected)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(trace.started))
    made = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(generated or time.time()))
    meta = f"flow {trace.flow or '?'} · subscription {trace.subscription or '?'} · user {trace.user or '?'}"
    shown: dict[str, int] = {}
    steps = "".join(step_html(s, shown) for s in trace.steps)
    fail = trace.first_failure()
    n = e(str(fail.index)) if fail is not None else ""
    jump = f' <a href="#step-{n}">(go to step {n})</a>' if fail is not None else ""
    index = "".join(
        f'<tr><td class="m {_cls(s.verdict == "ok" if s.verdict != "info" else None)}">{e(str(s.index))}</td>'
        f'<td><a href="#step-{e(str(s.index))}">{e(request_text(s))}</a></td><td>{e(answer_text(s))}</td></tr>'
        for s in trace.steps
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{CSP_META}'
        f"<title>{e(trace.title or 'SAML trace')}</title><style>{CSS}</style></head><body>"
        f"<h1>{e(trace.title or 'SAML trace')}</h1>"
        f'<p class="meta">{e(meta)} · started {e(when)} · report made {e(made)} by saml-harness</p>'
        f'<p class="outcome {e(level)}">{e(outcome)}{jump}</p>'
        f"<h2>Sequence</h2>{diagram_svg(trace.steps)}"
        f"<table>{index}</table>{steps}{_foreign_html(trace)}</body></html>\n"
    )
