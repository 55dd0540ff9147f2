"""The trace: a plain-data record of one flow, step by step (no UI code, as mitmproxy's flow.py).

A step is one HTTP exchange seen by a server, with the SAML message it carried decoded and
checked. Everything here round-trips through JSON.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.core.trace_check import MAX_FILE_BYTES, TraceFileError, check_trace
from samlkit.events import Check


@dataclass
class SignatureInfo:
    """What one ds:Signature in a message covers and whether it holds."""

    element: str  # "Response" | "Assertion" | "AuthnRequest" ...
    element_id: str = ""
    reference_uri: str = ""
    transforms: list[str] = field(default_factory=list)
    c14n: str = ""
    sig_alg: str = ""
    digest_alg: str = ""
    digest_stated: str = ""
    digest_computed: str = ""
    digest_ok: bool | None = None
    value_ok: bool | None = None  # verifies with the trusted certificate
    keyinfo_cert_sha256: str | None = None
    keyinfo_subject: str | None = None
    trusted_cert_sha256: str | None = None
    trusted_subject: str | None = None
    cert_matches: bool | None = None
    verdict: str = ""  # plain words: why it holds or not


@dataclass
class MessageSummary:
    kind: str = ""  # AuthnRequest | Response | LogoutRequest | EntityDescriptor ...
    id: str = ""
    in_response_to: str = ""
    issuer: str = ""
    issue_instant: str = ""
    destination: str = ""
    status: str = ""
    acs_url: str = ""
    protocol_binding: str = ""
    name_id_policy: str = ""
    assertion_ids: list[str] = field(default_factory=list)
    assertion_issuer: str = ""
    name_id: str = ""
    name_id_format: str = ""
    recipient: str = ""
    subject_confirmation_method: str = ""
    subject_not_on_or_after: str = ""
    not_before: str = ""
    not_on_or_after: str = ""
    audiences: list[str] = field(default_factory=list)
    authn_context: str = ""
    authn_instant: str = ""
    session_index: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    signed_elements: list[str] = field(default_factory=list)


@dataclass
class Message:
    """A SAML message as it travelled and as it reads."""

    param: str = ""  # SAMLRequest | SAMLResponse | (inspector) ""
    binding: str = ""
    raw: str = ""  # the parameter exactly as sent
    xml: str = ""  # decoded, pretty-printed
    relay_state: str | None = None
    summary: MessageSummary = field(default_factory=MessageSummary)
    signatures: list[SignatureInfo] = field(default_factory=list)
    error: str = ""  # why it could not be decoded, if it could not
    encryption: list[str] = field(default_factory=list)  # encrypted parts, what decrypts them, whether decrypted
    direction: str = ""  # "recv": the browser carried it to the server; "send": the server answered with it


@dataclass
class Step:
    index: int
    time: float
    src: str  # "browser" | "sp" | "idp"
    dst: str
    method: str = ""
    url: str = ""
    status: int = 0
    location: str | None = None
    label: str = ""  # short text for the arrow
    explanation: str = ""  # one or two sentences for step mode
    verdict: str = "info"  # "ok" | "refused" | "info" | "error"
    code: str = ""  # the SP's reason code on a refusal
    reason: str = ""
    message: Message | None = None
    checks: list[Check] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    login: str | None = None


@dataclass
class Trace:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    title: str = ""
    flow: str = ""  # "sp" | "idp" | "browser" | "inspector"
    subscription: str = ""
    user: str = ""
    started: float = field(default_factory=time.time)
    steps: list[Step] = field(default_factory=list)
    # Requests that reached the servers during a recording without its token (another browser,
    # a web page): shown apart, never judged as the tester's steps (harness/core/recording.py).
    foreign: list[Step] = field(default_factory=list)
    outcome: str = ""  # "" while running; "session" | "refused" | "error"
    outcome_detail: str = ""
    login: str | None = None
    origin: str = ""  # a re-sent message: where it was opened from (the workbench)
    diff: str = ""  # a re-sent message: what changed against the message as opened, in words, then a unified diff

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        """`data` is checked field by field first (trace_check): a bad file is a clear error."""
        check_trace(data)
        steps = [_step_from_dict(s) for s in data.get("steps", [])]
        foreign = [_step_from_dict(s) for s in data.get("foreign") or []]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("steps", "foreign")}
        return cls(steps=steps, foreign=foreign, **fields)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        if len(text) > MAX_FILE_BYTES:
            raise TraceFileError(f"not a trace file: larger than {MAX_FILE_BYTES // 2**20} MiB")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as err:
            raise TraceFileError(f"not a trace file: {err}") from err
        return cls.from_dict(data)

    def first_failure(self) -> Step | None:
        for s in self.steps:
            if s.verdict in ("refused", "error"):
                return s
        return None


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in cls.__dataclass_fields__}


def message_from_dict(data: dict[str, Any]) -> Message:
    summary = MessageSummary(**_pick(MessageSummary, data.get("summary") or {}))
    sigs = [SignatureInfo(**_pick(SignatureInfo, s)) for s in data.get("signatures") or []]
    rest = {k: v for k, v in _pick(Message, data).items() if k not in ("summary", "signatures")}
    return Message(summary=summary, signatures=sigs, **rest)


def _step_from_dict(data: dict[str, Any]) -> Step:
    msg = data.get("message")
    checks = [Check(**_pick(Check, c)) for c in data.get("checks") or []]
    rest = {k: v for k, v in _pick(Step, data).items() if k not in ("message", "checks")}
    return Step(message=message_from_dict(msg) if msg else None, checks=checks, **rest)
