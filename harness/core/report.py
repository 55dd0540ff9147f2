"""A run, rendered for people: plain-words rows, the sequence diagram's geometry, a self-contained
HTML report. No Qt here: the desktop app paints the same geometry with QPainter and reuses the
rows in its tabs; the command line writes the HTML.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from harness.core.certs import colon_fp
from harness.core.trace import Check, Message, MessageSummary, SignatureInfo, Step, Trace

ACTORS = {"browser": "Browser", "sp": "SP (vendor)", "idp": "IdP (mock)"}
LANES = ("browser", "sp", "idp")
OK, FAIL, NA = "✔", "✘", "–"

# One colour per verdict; hops that only carry a SAML message are blue, plain hops grey.
COLORS = {
    "ok": "#2e7d32",
    "refused": "#c62828",
    "error": "#8e24aa",
    "saml": "#1565c0",
    "info": "#546e7a",
}
VERDICT_WORDS = {"ok": "accepted", "refused": "refused", "error": "error", "info": ""}


def mark(ok: bool | None) -> str:
    return OK if ok else (NA if ok is None else FAIL)


# -- the message in plain words ------------------------------------------------------------------

# (attribute of MessageSummary, label, what it means for a tester)
SUMMARY_FIELDS: list[tuple[str, str, str]] = [
    ("kind", "Message", "what kind of SAML message this is"),
    ("id", "ID", "the message's own identifier"),
    ("in_response_to", "InResponseTo", "the AuthnRequest this answers (empty: IdP-initiated)"),
    ("issuer", "Issuer", "who sent it"),
    ("issue_instant", "Issued at", "when it was made (IdP clock)"),
    ("destination", "Destination", "the URL it is addressed to"),
    ("status", "Status", "the sender's verdict"),
    ("acs_url", "ACS URL", "where the SP wants the answer posted"),
    ("protocol_binding", "Answer binding", "how the SP wants the answer sent"),
    ("name_id_policy", "NameID policy", "the identifier format the SP asks for"),
    ("assertion_ids", "Assertions", "the assertion(s) inside"),
    ("assertion_issuer", "Assertion issuer", "who vouches for the user"),
    ("name_id", "NameID", "the user's identity as the IdP states it"),
    ("name_id_format", "NameID format", "what kind of identifier that is"),
    ("recipient", "Recipient", "the ACS URL the assertion may be delivered to"),
    ("subject_confirmation_method", "Confirmation", "how the SP may trust the bearer"),
    ("subject_not_on_or_after", "Deliver before", "the bearer confirmation's deadline"),
    ("not_before", "Valid from", "the assertion's window opens"),
    ("not_on_or_after", "Valid until", "the assertion's window closes"),
    ("audiences", "Audience", "the SP(s) the assertion is meant for"),
    ("authn_context", "Authn context", "how the user authenticated"),
    ("authn_instant", "Authenticated at", "when the user logged in at the IdP"),
    ("session_index", "Session index", "the IdP's session, for logout"),
    ("signed_elements", "Signed", "the elements that carry a signature"),
]


def _short_uri(value: str) -> str:
    """urn:oasis:names:tc:SAML:2.0:status:Success -> Success; bindings and formats likewise."""
    if value.startswith("urn:oasis:names:tc:SAML:"):
        return value.rsplit(":", 1)[-1]
    return value


def summary_rows(s: MessageSummary) -> list[tuple[str, str, str]]:
    """(label, value, meaning) for each field the message has, values in short form."""
    rows = []
    for attr, label, meaning in SUMMARY_FIELDS:
        value = getattr(s, attr)
        if isinstance(value, list):
            value = ", ".join(v or "(no ID)" for v in value)
        if not value:
            continue
        if attr in ("status", "protocol_binding", "name_id_format", "subject_confirmation_method", "authn_context"):
            value = " / ".join(_short_uri(p) for p in str(value).split(" / "))
        if attr == "name_id_policy":
            value = " ".join(_short_uri(p) for p in str(value).split(" "))
        rows.append((label, str(value), meaning))
    return rows


def message_sentence(msg: Message) -> str:
    """One or two sentences that say what the message says."""
    s = msg.summary
    if msg.error and not s.kind:
        return msg.error
    via = {"HTTP-Redirect": " in the URL (HTTP-Redirect binding)", "HTTP-POST": " in a posted form (HTTP-POST binding)"}
    how = via.get(msg.binding, "")
    if s.kind == "AuthnRequest":
        text = f"An authentication request from {s.issuer or 'an unnamed SP'}{how}"
        if s.destination:
            text += f", addressed to {s.destination}"
        text += "."
        if s.acs_url:
            text += f" The SP wants the answer at {s.acs_url}."
        return text
    if s.kind == "Response":
        text = f"A Response from {s.issuer or s.assertion_issuer or 'an unnamed IdP'}{how}"
        text += f", answering {s.in_response_to}" if s.in_response_to else " (unsolicited: IdP-initiated)"
        text += f", status {_short_uri(s.status.split(' / ')[0]) if s.status else 'missing'}."
        if s.name_id:
            text += f" It says the user is {s.name_id!r}"
            if s.audiences:
                text += f", for {', '.join(s.audiences)}"
            if s.not_before or s.not_on_or_after:
                text += f", valid {s.not_before or '?'} to {s.not_on_or_after or '?'}"
            text += "."
        if s.attributes:
            text += f" It releases {len(s.attributes)} attribute(s): {', '.join(s.attributes)}."
        if s.signed_elements:
            text += f" Signed: {', '.join(e.split(' #')[0] for e in s.signed_elements)}."
        else:
            text += " Nothing in it is signed."
        return text
    if s.kind:
        return f"A {s.kind}{' from ' + s.issuer if s.issuer else ''}{how}."
    return "Not a SAML message the harness recognises."


def signature_rows(sig: SignatureInfo) -> list[tuple[str, str, bool | None]]:
    """(what, value, passed?) for one signature, in the order a tester reads them."""
    rows: list[tuple[str, str, bool | None]] = []
    where = f"{sig.element} #{sig.element_id}" if sig.element_id else sig.element
    rows.append(("Signed element", where, None))
    if sig.reference_uri:
        rows.append(("Reference", sig.reference_uri, None))
    if sig.transforms:
        rows.append(("Transforms", ", ".join(sig.transforms), None))
    if sig.c14n:
        rows.append(("Canonicalisation", sig.c14n, None))
    algs = ", ".join(a for a in (sig.sig_alg, f"digest {sig.digest_alg}" if sig.digest_alg else "") if a)
    if algs:
        weak = "sha1" in sig.sig_alg or sig.digest_alg == "sha1"
        rows.append(("Algorithms", algs + (" (SHA-1: refused)" if weak else ""), False if weak else None))
    if sig.digest_stated or sig.digest_computed:
        same = "=" if sig.digest_ok else ("≠" if sig.digest_ok is False else "vs")
        rows.append(
            ("Digest", f"stated {sig.digest_stated or '-'} {same} computed {sig.digest_computed or '-'}", sig.digest_ok)
        )
    if sig.value_ok is not None:
        said = "verifies" if sig.value_ok else "does not verify"
        rows.append(("Signature value", f"{said} with the trusted certificate", sig.value_ok))
    else:
        rows.append(("Signature value", "not checked (no trusted certificate)", None))
    if sig.keyinfo_cert_sha256:
        rows.append(
            (
                "Certificate in KeyInfo",
                f"{sig.keyinfo_subject or '(unreadable)'}  SHA-256 {colon_fp(sig.keyinfo_cert_sha256)}",
                sig.cert_matches,
            )
        )
    if sig.trusted_cert_sha256:
        rows.append(
            ("Trusted certificate", f"{sig.trusted_subject}  SHA-256 {colon_fp(sig.trusted_cert_sha256)}", None)
        )
    return rows


def signature_ok(sig: SignatureInfo) -> bool | None:
    """True only when the digest matches and the value verifies with the trusted certificate;
    False when either fails; None when either was not established."""
    if sig.digest_ok is False or sig.value_ok is False:
        return False
    return True if sig.digest_ok and sig.value_ok else None


def query_params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


# -- the outcome of a run --------------------------------------------------------------------------


def outcome_line(trace: Trace, expected: object | None = None, as_expected: bool | None = None) -> tuple[str, str]:
    """(level, sentence): level is "ok" | "refused" | "error" | "info"."""
    fail = trace.first_failure()
    if trace.outcome == "session":
        level, text = "ok", f"{OK} Session opened for {trace.login}."
    elif trace.outcome == "refused" or (fail is not None and trace.outcome != "error"):
        level = "refused"
        if fail is not None:
            why = fail.code or f"HTTP {fail.status}"
            text = f"{FAIL} Refused at step {fail.index} ({fail.method} {urlsplit(fail.url).path}): {why}"
            if fail.reason:
                text += f" — {fail.reason}"
        else:
            text = f"{FAIL} Refused: {trace.outcome_detail or 'no session'}"
    elif trace.outcome == "error":
        level, text = "error", f"{FAIL} The flow broke off: {trace.outcome_detail or 'unknown error'}"
    elif trace.outcome == "incomplete":
        level, text = "info", "The flow ended without a session."
    else:
        level = "info"
        text = f"{len(trace.steps)} step(s) so far…" if trace.steps else "No steps yet."
    if expected is not None:
        outcome = getattr(expected, "outcome", "")
        logins = getattr(expected, "logins", [])
        predicted = f"{outcome} as {', '.join(logins)}" if logins else outcome
        if as_expected is True:
            text += f"  (as predicted: {predicted})"
        elif as_expected is False:
            text += f"  — NOT as predicted: {predicted} ({getattr(expected, 'explanation', '')})"
    return level, text


def step_color(step: Step) -> str:
    if step.verdict in ("ok", "refused", "error"):
        return COLORS[step.verdict]
    return COLORS["saml"] if step.message is not None else COLORS["info"]


def request_text(step: Step) -> str:
    """The request half of a hop: 'POST /IdM/saml2/ (Response)'."""
    return step.label.split(" → ")[0] if step.label else f"{step.method} {urlsplit(step.url).path}"


def answer_text(step: Step) -> str:
    """The answer half of a hop: '303 ✔ session: alice', '403 ✘ signature-invalid', '302 + AuthnRequest'."""
    text = str(step.status or "")
    if step.message is not None and " → " in step.label:
        text += f" + {step.message.summary.kind or step.message.param}"
        if step.message.signatures:
            bad = any(signature_ok(s) is False for s in step.message.signatures)
            text += " (signed, ✘ with the trusted cert)" if bad else " (signed)"
    if step.verdict == "ok":
        text += f" {OK} " + (f"session: {step.login}" if step.login else (step.code or "accepted"))
    elif step.verdict in ("refused", "error"):
        text += f" {FAIL} " + (step.code or step.reason or VERDICT_WORDS[step.verdict])
    if step.checks:
        failed = [c for c in step.checks if c.ok is False]
        passed = sum(1 for c in step.checks if c.ok)
        text += f"  · {FAIL} {failed[0].name}" if failed else f"  · {OK} {passed} checks"
    elif step.location and step.status in (301, 302, 303, 307):
        text += f" → {urlsplit(step.location).path}"
    return text


# -- the sequence diagram's geometry -----------------------------------------------------------------


@dataclass
class Lane:
    actor: str
    title: str
    x: float


@dataclass
class Arrow:
    row: int  # position in the list of steps drawn
    index: int  # the step's number
    src: str
    dst: str
    x1: float
    x2: float
    y: float  # the request arrow
    return_y: float  # the dashed answer arrow
    top: float  # the row's band
    bottom: float
    color: str
    verdict: str
    label: str
    answer: str


@dataclass
class Layout:
    width: float
    height: float
    header: float
    lanes: list[Lane] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)

    def lane_x(self, actor: str) -> float:
        for lane in self.lanes:
            if lane.actor == actor:
                return lane.x
        return self.lanes[0].x

    def row_at(self, y: float) -> int | None:
        for a in self.arrows:
            if a.top <= y < a.bottom:
                return a.row
        return None


HEADER = 52.0
ROW = 44.0
MARGIN_LEFT = 44.0
MARGIN_RIGHT = 24.0


def diagram_layout(
    steps: list[Step], width: float, lane_titles: dict[str, str] | None = None, header: float = HEADER
) -> Layout:
    """Where each lane and each arrow goes, for a drawing `width` wide (`header`: room for the lane titles)."""
    titles = {**ACTORS, **(lane_titles or {})}
    width = max(width, 360.0)
    left, right = MARGIN_LEFT + 50, width - MARGIN_RIGHT - 50
    xs = {"browser": left, "sp": left + (right - left) * 0.5, "idp": right}
    lay = Layout(width=width, height=header + ROW * len(steps) + 8, header=header)
    lay.lanes = [Lane(a, titles.get(a, a), xs[a]) for a in LANES]
    for row, step in enumerate(steps):
        top = header + ROW * row
        src, dst = xs.get(step.src, left), xs.get(step.dst, xs["sp"])
        lay.arrows.append(
            Arrow(
                row=row,
                index=step.index,
                src=step.src,
                dst=step.dst,
                x1=src,
                x2=dst,
                y=top + 18,
                return_y=top + 37,
                top=top,
                bottom=top + ROW,
                color=step_color(step),
                verdict=step.verdict,
                label=f"{step.index}  {request_text(step)}",
                answer=answer_text(step),
            )
        )
    return lay


def _elide(text: str, px: float, char_px: float = 6.6) -> str:
    n = max(4, int(px / char_px))
    return text if len(text) <= n else text[: n - 1] + "…"


def diagram_svg(steps: list[Step], width: float = 900, lane_titles: dict[str, str] | None = None) -> str:
    """The sequence diagram as standalone SVG text (for the HTML report and the CLI)."""
    lay = diagram_layout(steps, width, lane_titles)
    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="12">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for lane in lay.lanes:
        out.append(
            f'<line x1="{lane.x:.1f}" y1="{HEADER - 8:.1f}" x2="{lane.x:.1f}" y2="{lay.height - 8:.1f}" '
            'stroke="#b0bec5" stroke-dasharray="4 4"/>'
        )
        out.append(
            f'<rect x="{lane.x - 70:.1f}" y="8" width="140" height="30" rx="6" fill="#eceff1" stroke="#90a4ae"/>'
            f'<text x="{lane.x:.1f}" y="28" text-anchor="middle" font-weight="bold">{e(lane.title)}</text>'
        )
    for a in lay.arrows:
        span = abs(a.x2 - a.x1)
        out.append(
            f'<circle cx="{MARGIN_LEFT - 18:.1f}" cy="{a.y:.1f}" r="11" fill="{a.color}"/>'
            f'<text x="{MARGIN_LEFT - 18:.1f}" y="{a.y + 4:.1f}" text-anchor="middle" fill="#fff" '
            f'font-size="11" font-weight="bold">{e(str(a.index))}</text>'
        )
        out.append(_svg_arrow(a.x1, a.x2, a.y, a.color, dashed=False))
        out.append(_svg_arrow(a.x2, a.x1, a.return_y, a.color, dashed=True))
        lx = min(a.x1, a.x2) + 8
        label = a.label.split("  ", 1)[-1]
        out.append(f'<text x="{lx:.1f}" y="{a.y - 5:.1f}" fill="{a.color}">{e(_elide(label, span - 12))}</text>')
        out.append(
            f'<text x="{lx:.1f}" y="{a.return_y - 5:.1f}" fill="{a.color}" font-size="11">'
            f"{e(_elide(a.answer, span - 12, 6.0))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _svg_arrow(x1: float, x2: float, y: float, color: str, *, dashed: bool) -> str:
    d = 1 if x2 > x1 else -1
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    head = f"{x2:.1f},{y:.1f} {x2 - 9 * d:.1f},{y - 4.5:.1f} {x2 - 9 * d:.1f},{y + 4.5:.1f}"
    return (
        f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2 - 8 * d:.1f}" y2="{y:.1f}" stroke="{color}" '
        f'stroke-width="{1.2 if dashed else 2}"{dash}/>'
        f'<polygon points="{head}" fill="{color}"/>'
    )


# -- the HTML report ------------------------------------------------------------------------------

# Reports show hostile text: even if something slipped past escaping, the page may run no script,
# load nothing from anywhere, and submit nowhere. Styles are inline; the diagram is inline SVG.
CSP_META = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
)

_CSS = """
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


def _table(rows: list[tuple[str, str]]) -> str:
    e = html.escape
    return "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"


def checks_html(checks: list[Check]) -> str:
    e = html.escape
    body = "".join(
        f'<tr><td class="m {_cls(c.ok)}">{mark(c.ok)}</td><th>{e(c.name)}</th><td>{e(c.detail)}</td></tr>'
        for c in checks
    )
    return f"<table>{body}</table>"


def signatures_html(msg: Message) -> str:
    e = html.escape
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


def _step_html(step: Step, shown: dict[str, int] | None = None) -> str:
    """`shown`: raw messages already rendered, by step number; a repeat is named, not repeated."""
    e = html.escape
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
        out.append(_table([(k, v) for k, v, _ in summary_rows(msg.summary)]))
        if msg.summary.attributes:
            out.append(_table([(k, ", ".join(v)) for k, v in msg.summary.attributes.items()]))
        out.append(signatures_html(msg))
        if msg.xml:
            out.append(f"<details><summary>XML</summary><pre>{e(msg.xml)}</pre></details>")
    http_rows = [("Method", step.method), ("URL", step.url), ("Status", str(step.status))]
    if step.location:
        http_rows.append(("Location", step.location))
    http_rows += [(k, v) for k, v in step.headers.items() if k != "Location"]
    out.append(f"<details><summary>HTTP</summary>{_table(http_rows)}</details></div>")
    return "".join(out)


def render_html(
    trace: Trace,
    *,
    expected: object | None = None,
    as_expected: bool | None = None,
    generated: float | None = None,
) -> str:
    """A self-contained HTML page for one run: no scripts, no external files."""
    e = html.escape
    level, outcome = outcome_line(trace, expected, as_expected)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(trace.started))
    made = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(generated or time.time()))
    meta = f"flow {trace.flow or '?'} · subscription {trace.subscription or '?'} · user {trace.user or '?'}"
    shown: dict[str, int] = {}
    steps = "".join(_step_html(s, shown) for s in trace.steps)
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
        f"<title>{e(trace.title or 'SAML trace')}</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(trace.title or 'SAML trace')}</h1>"
        f'<p class="meta">{e(meta)} · started {e(when)} · report made {e(made)} by saml-harness</p>'
        f'<p class="outcome {e(level)}">{e(outcome)}{jump}</p>'
        f"<h2>Sequence</h2>{diagram_svg(trace.steps)}"
        f"<table>{index}</table>{steps}</body></html>\n"
    )
