"""Turn server events into a trace, step by step, as they happen.

SAML and verdict events are reported in the request's own thread before that request's
"http" event, so they are held per (actor, thread) and attached when the http event arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlencode

from harness.core.inspect_message import TrustedCert, inspect
from harness.core.safe_url import urlsplit
from harness.core.trace import Message, Step, Trace
from mock_idp.contract import IdPRoute
from samlkit.events import Event
from sp.contract import BOUNCE_HEADER, REASON_HEADER, SESSION, Route

StepCallback = Callable[[Trace, Step], None]
LOGOUT_MESSAGES = ("LogoutRequest", "LogoutResponse")


def decode_event(event: Event, trusted_cert: TrustedCert, decryption_key: bytes | None = None) -> Message:
    """Decode and check the event's message; a signed Redirect URL is read whole, SigAlg and Signature too."""
    query = urlsplit(event.url).query if event.binding == "HTTP-Redirect" else ""
    signed = "Signature=" in query and f"{event.param}=" in query
    msgs = inspect(query if signed else urlencode({event.param: event.value}), trusted_cert, decryption_key)
    msg = msgs[0]
    msg.param, msg.binding, msg.raw, msg.relay_state = event.param, event.binding, event.value, event.relay_state
    msg.direction = event.direction
    return msg


MAX_FOREIGN = 200  # foreign requests kept per recording: a page flooding the servers stays bounded


class TraceRecorder:
    """A server listener. `flow_id`: keep only requests tagged by that scripted browser."""

    def __init__(
        self,
        trace: Trace | None = None,
        *,
        flow_id: str | None = None,
        trusted_cert: Callable[[str], bytes | None] = lambda issuer: None,
        on_step: StepCallback | None = None,
        decryption_key: bytes | None = None,
        recording: str | None = None,
        on_foreign: StepCallback | None = None,
    ):
        """`decryption_key`: the SP's encryption key, so that the trace shows encrypted assertions decrypted."""
        self.trace = trace or Trace()
        self.decryption_key = decryption_key
        self.flow_id = flow_id
        self.recording = recording  # set: only requests carrying this token are the tester's
        self.on_foreign = on_foreign
        self.trusted_cert = trusted_cert
        self.on_step = on_step
        self._pending: dict[tuple[str, int], list[Event]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        key = (event.actor, event.thread)
        if event.kind != "http":
            with self._lock:
                self._pending.setdefault(key, []).append(event)
            return
        with self._lock:
            attached = self._pending.pop(key, [])
        if self.flow_id is not None and event.flow_id != self.flow_id:
            return
        if self.recording is not None and event.recording != self.recording:
            self._foreign(event, attached)
            return
        step = self._step(event, attached)
        with self._lock:
            step.index = len(self.trace.steps) + 1
            self.trace.steps.append(step)
            self._outcome(step)
        if self.on_step:
            self.on_step(self.trace, step)

    def _foreign(self, http: Event, attached: list[Event]) -> None:
        """Another browser or a web page: kept apart (at most MAX_FOREIGN), not the tester's step."""
        if len(self.trace.foreign) >= MAX_FOREIGN:
            return
        step = self._step(http, attached)
        with self._lock:
            step.index = len(self.trace.foreign) + 1
            self.trace.foreign.append(step)
        if self.on_foreign:
            self.on_foreign(self.trace, step)

    def _step(self, http: Event, attached: list[Event]) -> Step:
        step = Step(
            index=0,
            time=http.time,
            src="browser",
            dst=http.actor,
            method=http.method,
            url=http.url,
            status=http.status,
            location=http.location,
            headers=http.headers,
            label=http_label(http.method, http.url),
        )
        received = None
        for ev in attached:
            if ev.kind == "saml":
                # decoded once; the issuer picks the cert
                msg = decode_event(ev, self.trusted_cert, self.decryption_key)
                if ev.direction == "recv" and msg.summary.kind in LOGOUT_MESSAGES:
                    received = msg  # the verdict's checks are about the message received
                step.message = received or msg
                kind = msg.summary.kind or ev.param
                if ev.direction == "send":
                    step.label += f" → {http.status} + {kind}"
                else:
                    step.label += f" ({kind})"
        judge_step(step, http, attached)
        step.explanation = explain_step(step)
        return step

    def _outcome(self, step: Step) -> None:
        outcome = next_outcome(self.trace.outcome, step)
        if outcome is None:
            return
        self.trace.outcome = outcome
        if outcome == "session":
            self.trace.login, self.trace.outcome_detail = step.login, step.reason
        elif outcome == "refused":
            self.trace.outcome_detail = f"{step.code}: {step.reason}" if step.reason else step.code
        else:
            self.trace.outcome_detail = step.reason


def judge_step(step: Step, http: Event, attached: list[Event]) -> None:
    """The step's verdict, code, reason and login from its events alone, no message decoded: the
    recorder's steps and the control API's trace log (which groups by it) judge alike."""
    for ev in attached:
        if ev.kind == "verdict":
            step.checks = list(ev.checks) or step.checks
            step.code = ev.code
            step.reason = ev.message
            step.login = ev.login
            step.verdict = "ok" if ev.ok else "refused"
    carried = any(ev.kind == "saml" for ev in attached)
    if http.status >= 500:
        step.verdict, step.reason = "error", f"the server answered {http.status}"
    elif step.verdict == "info" and http.status >= 400 and (carried or REASON_HEADER in http.headers):
        # a refusal by a server; a plain 401 from /whoami is an answer, not a refusal
        step.verdict = "refused"
        step.code = http.headers.get(REASON_HEADER, "")


def next_outcome(outcome: str, step: Step) -> str | None:
    """The trace's outcome this step sets (a session stands against later refusals), or None."""
    if step.verdict == "ok" and step.code == SESSION:
        return "session"
    if step.verdict == "refused" and outcome != "session":
        return "refused"
    if step.verdict == "error":
        return "error"
    return None


def http_label(method: str, url: str) -> str:
    """The arrow's text: the method and path, a long query string cut short."""
    parts = urlsplit(url)
    query = f"?{parts.query[:40]}…" if len(parts.query) > 40 else (f"?{parts.query}" if parts.query else "")
    return f"{method} {parts.path}{query}"


def explain_step(step: Step) -> str:
    """One or two sentences for step mode: what this hop is for in the SAML story."""
    kind = step.message.summary.kind if step.message else ""
    path = urlsplit(step.url).path
    if step.dst == "sp" and step.headers.get(BOUNCE_HEADER):
        return (
            "The IdP's form posted the Response cross-site, so the SP's SameSite cookie stayed behind. The SP "
            "posts it again from its own page, so that it can check this browser sent the request."
        )
    if step.dst == "sp" and kind == "AuthnRequest":
        return (
            "The browser opens the subscription's unique login URL. The SP answers with a redirect to the "
            "IdP carrying a deflated AuthnRequest (HTTP-Redirect binding)."
        )
    if step.dst == "idp" and kind == "AuthnRequest":
        return "The browser follows the redirect: the IdP receives and checks the AuthnRequest, then asks who you are."
    if step.dst == "idp" and kind == "Response":
        return (
            "The user authenticated at the IdP. It answers with a signed Response in a form that posts itself "
            "to the SP's ACS (HTTP-POST binding)."
        )
    if step.dst == "sp" and kind == "Response":
        if step.verdict == "ok":
            return (
                "The SP checked the Response (signature, audience, time, replay…) and mapped the identity. "
                f"{step.reason.rstrip('.')}."
            )
        return f"The SP refused the Response: {(step.reason or step.code).rstrip('.')}."
    if kind in ("LogoutRequest", "LogoutResponse"):
        return _explain_logout(step, kind)
    if step.dst == "idp" and path.endswith(IdPRoute.START):
        return "IdP-initiated: the user starts at the IdP and picks the service to sign in to."
    if step.dst == "idp" and path.endswith(IdPRoute.LOGIN):
        return "The user submits the login form (or gets it back on a wrong password)."
    if step.dst == "idp" and path.endswith(IdPRoute.MFA):
        return "The second factor: the IdP checks the TOTP code."
    if step.dst == "sp" and path.endswith(Route.PICK):
        return "Two accounts match this identity: the SP lets the user pick one."
    if step.dst == "sp" and path.endswith(Route.LOGOUT):
        return "Logout ends the SP session and sends the browser to the subscription's exit URL."
    if step.dst == "idp" and path.endswith(IdPRoute.LOGOUT):
        return "IdP-initiated logout: the IdP ends its session and sends a LogoutRequest to each SP in it, in turn."
    if step.dst == "sp" and path in (Route.HOME, Route.ROOT):
        return "The browser lands on the SP's home page inside the new session."
    if step.dst == "sp" and path == Route.WHOAMI:
        return "The harness asks the SP who is logged in."
    return ""


def _explain_logout(step: Step, kind: str) -> str:
    """Single Logout hops: who sends what to whom, and what the receiver checked."""
    who = "SP" if step.dst == "sp" else "IdP"
    other = "IdP" if who == "SP" else "SP"
    if urlsplit(step.url).path.endswith((Route.LOGOUT, IdPRoute.LOGOUT)):
        return (
            f"The {who} ends its session and sends a signed LogoutRequest naming the session's NameID and "
            f"SessionIndex to the {other}'s SLO endpoint."
        )
    if step.verdict == "refused":
        return f"The {who} refused the {kind}: {(step.reason or step.code).rstrip('.')}."
    if kind == "LogoutRequest":
        return (
            f"The {who} checked the {other}'s LogoutRequest (signature, Destination, NameID and SessionIndex), "
            "ended the matching session, and passes the logout on with a signed message."
        )
    return (
        f"The {who} checked the LogoutResponse (signature, Destination, InResponseTo, Status): "
        f"{(step.reason or 'the logout is complete').rstrip('.')}."
    )
