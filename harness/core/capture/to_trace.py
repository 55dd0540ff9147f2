"""Turn a capture into a Trace with the same steps the servers would have recorded.

Only requests to the SP's and the IdP's origins become steps (a real browser also fetches
fonts, analytics, other sites); how many others there were is said in the trace's detail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.core.capture.exchange import CaptureError, Exchange, header
from harness.core.capture.expectations import Expectations, check_message
from harness.core.capture.load import Capture
from harness.core.capture.messages import received, sent
from harness.core.capture.roles import RoleVotes, origin
from harness.core.inspect_message import TrustedCert
from harness.core.recorder import explain_step, http_label
from harness.core.safe_url import urlsplit
from harness.core.trace import Check, Message, Step, Trace
from sp.contract import REASON_HEADER, SESSION


@dataclass
class _Seen:
    exchange: Exchange
    received: Message | None
    sent: Message | None


ExpectationsFor = Callable[[str, str], Expectations | None]


def capture_to_trace(
    capture: Capture,
    *,
    trusted_cert: TrustedCert = None,
    expectations: Expectations | ExpectationsFor | None = None,
    title: str = "",
) -> Trace:
    """`expectations` may be a function of the capture's (SP origin, IdP origin): a workspace
    names its URLs relative to wherever its servers ran."""
    if trusted_cert is None and isinstance(expectations, Expectations):
        trusted_cert = expectations.trusted_cert
    seen = [_Seen(ex, received(ex, trusted_cert), sent(ex, trusted_cert)) for ex in capture.exchanges]
    _infer_posted_pages(seen)
    votes = RoleVotes()
    for item in seen:
        votes.vote(item.exchange.url, item.received, sent=False)
        votes.vote(item.exchange.url, item.sent, sent=True)
    roles = votes.roles()
    if not roles:
        raise CaptureError(f"The {capture.format} capture holds no SAML message (no SAMLRequest or SAMLResponse).")
    if callable(expectations):
        by_role = {role: o for o, role in roles.items()}
        expectations = expectations(by_role.get("sp", ""), by_role.get("idp", ""))
        if expectations is not None and trusted_cert is None and expectations.idp_certs:
            trusted_cert = expectations.trusted_cert
            seen = [
                _Seen(i.exchange, received(i.exchange, trusted_cert), sent(i.exchange, trusted_cert))
                if i.received or i.sent
                else i
                for i in seen
            ]
            _infer_posted_pages(seen)
    trace = Trace(title=title or f"Imported {capture.format} capture", flow="capture")
    others = 0
    for item in seen:
        role = roles.get(origin(item.exchange.url))
        if role is None:
            others += 1
            continue
        step = _step(item, role, expectations)
        step.index = len(trace.steps) + 1
        trace.steps.append(step)
        _outcome(trace, step)
    if others:
        note = f"{others} request(s) to other sites left out"
        trace.outcome_detail = f"{trace.outcome_detail}; {note}" if trace.outcome_detail else note
    return trace


def _infer_posted_pages(seen: list[_Seen]) -> None:
    """Browsers rarely keep the body of a page that posted itself away (Chromium's HAR has none),
    so a message posted from another origin is also the answer of that origin's last page."""
    for n, item in enumerate(seen):
        msg = item.received
        if msg is None or item.exchange.method != "POST":
            continue
        source = header(item.exchange.request_headers, "Origin") or header(item.exchange.request_headers, "Referer")
        if not source or origin(source) == origin(item.exchange.url):
            continue
        for before in reversed(seen[:n]):
            if origin(before.exchange.url) != origin(source):
                continue
            if before.sent is None and before.received is None and 200 <= before.exchange.status < 300:
                before.sent = replace(msg, direction="send")
            break


def _step(item: _Seen, role: str, expectations: Expectations | None) -> Step:
    ex = item.exchange
    step = Step(
        index=0,
        time=ex.time,
        src="browser",
        dst=role,
        method=ex.method,
        url=ex.url,
        status=ex.status,
        location=ex.location,
        headers=dict(ex.response_headers),
        label=http_label(ex.method, ex.url),
    )
    msg = item.received or item.sent
    if msg is not None:
        msg.direction = "recv" if item.received else "send"
        step.message = msg
        kind = msg.summary.kind or msg.param or "message"
        step.label += f" ({kind})" if item.received else f" → {ex.status} + {kind}"
        step.checks = _signature_checks(msg) + (check_message(msg, expectations) if expectations else [])
    _verdict(step, item)
    step.explanation = explain_step(step)
    return step


def _signature_checks(msg: Message) -> list[Check]:
    checks = []
    for sig in msg.signatures:
        ok = None if sig.value_ok is None and sig.digest_ok is not False else bool(sig.value_ok and sig.digest_ok)
        checks.append(Check(f"signature on {sig.element}", ok, sig.verdict))
    return checks


def _verdict(step: Step, item: _Seen) -> None:
    reason = header(step.headers, REASON_HEADER) or ""
    if step.status >= 500:
        step.verdict, step.reason = "error", f"the server answered {step.status}"
    elif step.status >= 400 and (step.message is not None or reason):
        step.verdict, step.code = "refused", reason
        step.reason = f"the {'SP' if step.dst == 'sp' else 'IdP'} answered {step.status}"
    elif (
        step.dst == "sp"
        and item.received is not None
        and item.received.summary.kind == "Response"
        and 300 <= step.status < 400
    ):
        where = urlsplit(step.location or "/").path or "/"
        step.verdict, step.code = "ok", SESSION
        step.reason = f"The SP accepted the Response and sent the browser on to {where}"


def _outcome(trace: Trace, step: Step) -> None:
    if step.verdict == "ok" and step.code == SESSION:
        trace.outcome, trace.outcome_detail = "session", step.reason
    elif step.verdict == "refused" and trace.outcome != "session":
        trace.outcome = "refused"
        trace.outcome_detail = f"{step.code}: {step.reason}" if step.code else step.reason
    elif step.verdict == "error" and not trace.outcome:
        trace.outcome, trace.outcome_detail = "error", step.reason
