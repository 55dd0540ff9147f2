"""HTML for the rich-text tabs (Qt's rich-text subset), built from the same rows as the HTML report."""

from __future__ import annotations

from harness.core.report import (
    ACTORS,
    COLORS,
    answer_text,
    mark,
    message_sentence,
    query_params,
    signature_ok,
    signature_rows,
    summary_rows,
)
from harness.core.safe_url import urlsplit
from harness.core.terminal import html_text as e
from harness.core.trace import Message, Step

PASS, FAIL, GREY = COLORS["ok"], COLORS["refused"], "#78909c"


def _color(ok: bool | None) -> str:
    return PASS if ok else (GREY if ok is None else FAIL)


def _box(text: str, color: str, bg: str) -> str:
    return (
        f'<table width="100%" cellpadding="8" cellspacing="0" style="margin: 4px 0 10px 0">'
        f'<tr><td bgcolor="{bg}" style="color: {color}; border-left: 4px solid {color}">{text}</td></tr></table>'
    )


def _rows(rows: list[tuple[str, str]], grey: list[str] | None = None) -> str:
    out = ['<table cellpadding="3" cellspacing="0" width="100%">']
    for i, (k, v) in enumerate(rows):
        hint = f'<br><span style="color:{GREY}; font-size: small">{e(grey[i])}</span>' if grey and grey[i] else ""
        out.append(
            f'<tr><td width="170" valign="top"><b>{e(k)}</b>{hint}</td>'
            f'<td valign="top" style="font-family: monospace">{e(v)}</td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def tidy(text: str) -> str:
    """Sentences assembled from parts can end in '..'."""
    return text.replace("..", ".").strip()


def step_heading(step: Step) -> str:
    hop = f"{ACTORS.get(step.src, step.src)} → {ACTORS.get(step.dst, step.dst)}"
    return f"Step {step.index} · {hop} · {step.method} {urlsplit(step.url).path} · {answer_text(step)}"


def summary_html(step: Step | None, msg: Message | None) -> str:
    parts = []
    if step is not None:
        parts.append(f"<h3>{e(step_heading(step))}</h3>")
        if step.explanation:
            parts.append(f'<p style="color:#455a64"><i>{e(tidy(step.explanation))}</i></p>')
        if step.verdict in ("refused", "error"):
            failed = next((c for c in step.checks if c.ok is False), None)
            why = e(step.code or f"HTTP {step.status}") + (f" — {e(step.reason)}" if step.reason else "")
            if failed is not None:
                why += f"<br>First failing check: <b>{e(failed.name)}</b>: {e(failed.detail)}"
            parts.append(_box(f"<b>✘ Refused:</b> {why}", FAIL, "#ffebee"))
        elif step.verdict == "ok" and step.reason:
            parts.append(_box(f"<b>✔ {e(step.reason)}</b>", PASS, "#e8f5e9"))
    if msg is None:
        if step is not None:
            parts.append("<p>This hop carries no SAML message.</p>")
        return "".join(parts)
    if msg.error:
        parts.append(_box(f"<b>Problem:</b> {e(msg.error)}", FAIL, "#ffebee"))
    if not msg.error or msg.summary.kind:  # else the sentence is the problem again
        parts.append(f"<p>{e(message_sentence(msg))}</p>")
    rows = summary_rows(msg.summary)
    if msg.binding:
        rows.insert(1, ("Binding", msg.binding, "how it travelled"))
    if msg.relay_state is not None:
        rows.append(("RelayState", msg.relay_state or "(empty)", "where to go after login"))
    parts.append(_rows([(k, v) for k, v, _ in rows], [m for _, _, m in rows]))
    if msg.encryption:
        parts.append("<h4>Encrypted</h4>")
        parts.append("".join(f"<p>🔒 {e(note)}</p>" for note in msg.encryption))
    if msg.summary.attributes:
        parts.append("<h4>Attributes released</h4>")
        parts.append(_rows([(k or "(no name)", ", ".join(v)) for k, v in msg.summary.attributes.items()]))
    return "".join(parts)


def signature_html(step: Step | None, msg: Message | None) -> str:
    parts = []
    if (
        step is not None
        and step.verdict == "refused"
        and step.code.startswith(("signature", "weak", "algorithm", "transform", "trust"))
    ):
        parts.append(_box(f"<b>✘ The SP refused this message: {e(step.code)}</b><br>{e(step.reason)}", FAIL, "#ffebee"))
    if msg is None:
        parts.append("<p>This hop carries no SAML message, so there is no signature to check.</p>")
        return "".join(parts)
    unsigned = unsigned_html(msg)
    if not msg.signatures:
        parts.append(unsigned or "<p>This message carries no signature.</p>")
        return "".join(parts)
    parts.append(unsigned)
    for sig in msg.signatures:
        ok = signature_ok(sig)
        state = {True: "✔ holds", False: "✘ does not hold", None: "? not checked"}[ok]
        where = f"{sig.element} #{sig.element_id}" if sig.element_id else sig.element
        parts.append(f'<h3 style="color:{_color(ok)}">Signature on the {e(where)} — {state}</h3>')
        bg = {True: "#e8f5e9", False: "#ffebee", None: "#eceff1"}[ok]
        parts.append(_box(e(sig.verdict), _color(ok), bg))
        out = ['<table cellpadding="3" cellspacing="0" width="100%">']
        for label, value, passed in signature_rows(sig):
            m = mark(passed) if passed is not None else ""
            out.append(
                f'<tr><td width="22" style="color:{_color(passed)}"><b>{m}</b></td>'
                f'<td width="170"><b>{e(label)}</b></td><td style="font-family: monospace">{e(value)}</td></tr>'
            )
        out.append("</table>")
        parts.append("".join(out))
    return "".join(parts)


def unsigned_html(msg: Message) -> str:
    """For a Response: each Assertion without a signature of its own, and whether anything else vouches for it."""
    s = msg.summary
    if s.kind != "Response" or not s.assertion_ids:
        return ""
    own = {sig.element_id for sig in msg.signatures if sig.element == "Assertion" and sig.element_id}
    outer = [signature_ok(sig) for sig in msg.signatures if sig.element == "Response"]
    parts = []
    for ident in s.assertion_ids:
        if ident and ident in own:
            continue
        which = f"The Assertion #{ident}" if ident else "An Assertion without an ID"
        if True in outer:
            parts.append(
                _box(
                    f"{e(which)} carries no signature of its own; the Response's signature, which holds, covers "
                    "it. (An SP that requires signed Assertions still refuses it.)",
                    GREY,
                    "#eceff1",
                )
            )
        elif None in outer:
            parts.append(
                _box(
                    f"{e(which)} carries no signature of its own; only the Response's signature could vouch for it, "
                    "and it was not checked (no trusted certificate).",
                    GREY,
                    "#eceff1",
                )
            )
        else:
            where = "and the Response's signature does not hold" if outer else "and the Response is not signed either"
            parts.append(
                _box(
                    f"<b>✘ {e(which)} is not signed: its signature is missing</b>, {where}. Nothing vouches "
                    "for what it says: a safe SP refuses it (signature-missing).",
                    FAIL,
                    "#ffebee",
                )
            )
    return "".join(parts)


def http_html(step: Step | None, msg: Message | None) -> str:
    parts = []
    if step is not None:
        rows = [("Method", step.method), ("URL", step.url), ("Status", str(step.status))]
        if step.location:
            rows.append(("Location", step.location))
        parts.append("<h3>Request and answer</h3>" + _rows(rows))
        params = query_params(step.url)
        if params:
            parts.append("<h4>Query parameters</h4>")
            parts.append(_rows([(k, v if len(v) < 300 else v[:300] + "…") for k, v in params]))
        if step.headers:
            parts.append("<h4>Answer headers</h4>" + _rows(list(step.headers.items())))
    if msg is not None:
        rows = [("Parameter", msg.param or "(pasted)"), ("Binding", msg.binding or "-")]
        if msg.relay_state is not None:
            rows.append(("RelayState", msg.relay_state))
        parts.append("<h3>The SAML parameter as it travelled</h3>" + _rows(rows))
        if msg.raw:
            parts.append(f'<pre style="white-space: pre-wrap">{e(msg.raw)}</pre>')
    if not parts:
        parts.append("<p>Nothing to show.</p>")
    return "".join(parts)
