"""A run, in plain words for people: rows, sentences, colours and outcome lines. No Qt here: the
desktop app shows them in its tabs, `report_html` writes them as HTML and `report_diagram` lays
out the sequence diagram (both re-exported here, where their callers have always found them).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from harness.core.certs import colon_fp
from harness.core.safe_url import urlsplit
from harness.core.trace import Message, MessageSummary, SignatureInfo, Step, Trace
from sp.contract import SESSION

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
    if s.kind in ("LogoutRequest", "LogoutResponse"):
        return _logout_sentence(msg, how)
    if s.kind:
        return f"A {s.kind}{' from ' + s.issuer if s.issuer else ''}{how}."
    return "Not a SAML message the harness recognises."


def _logout_sentence(msg: Message, how: str) -> str:
    """Single Logout: who asks whom to end which session, or how the logout went."""
    s = msg.summary
    sender = s.issuer or "an unnamed party"
    to = f", addressed to {s.destination}" if s.destination else ""
    signed = " Signed." if s.signed_elements or msg.signatures else " Not signed."
    if s.kind == "LogoutRequest":
        index = f", session {s.session_index}" if s.session_index else ", every session"
        return f"A logout request from {sender}{how}{to}: end the session of {s.name_id or '?'!r}{index}.{signed}"
    status = _short_uri(s.status.split(" / ")[0]) if s.status else "missing"
    return f"A logout response from {sender}{how}{to}, answering {s.in_response_to or '?'}, status {status}.{signed}"


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
    if trace.outcome == SESSION:
        level, text = "ok", f"{OK} Session opened for {trace.login}."
    elif trace.outcome == "logged-out":
        level, text = "ok", f"{OK} Logged out: {trace.outcome_detail}."
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
    elif trace.outcome == "incomplete" and trace.flow in ("logout", "idp-logout"):
        level, text = "refused", f"{FAIL} The logout did not complete: {trace.outcome_detail or 'see the trace'}"
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


# The diagram and the HTML page build on the words above; callers import all three from here.
from harness.core.report_diagram import (  # noqa: E402
    HEADER,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    ROW,
    Arrow,
    Lane,
    Layout,
    diagram_layout,
    diagram_svg,
)
from harness.core.report_html import (  # noqa: E402
    CSP_META,
    checks_html,
    render_html,
    signatures_html,
    step_html,
    table_html,
)

__all__ = [
    "ACTORS",
    "COLORS",
    "CSP_META",
    "HEADER",
    "LANES",
    "MARGIN_LEFT",
    "MARGIN_RIGHT",
    "ROW",
    "VERDICT_WORDS",
    "Arrow",
    "Lane",
    "Layout",
    "answer_text",
    "checks_html",
    "diagram_layout",
    "diagram_svg",
    "mark",
    "message_sentence",
    "outcome_line",
    "render_html",
    "request_text",
    "signature_ok",
    "signature_rows",
    "signatures_html",
    "step_color",
    "step_html",
    "summary_rows",
    "table_html",
]
