"""Open a message for editing: from text (anything `decode` reads), a file, or a trace step.

A trace step is opened from the parameter exactly as it travelled (`Message.raw`), never from its
pretty-printed XML, so that untouched signatures still verify. Steps imported from elsewhere
(a browser capture) open the same way as long as they carry `param` and `raw`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from lxml import etree

from harness.core.decode import DecodeFailure, decode_any
from harness.core.trace import Message, Step, Trace
from samlkit import codec, safexml

REQUEST_KINDS = ("AuthnRequest", "LogoutRequest")
MAX_FILE_BYTES = 8 * 1024 * 1024


class WorkbenchError(ValueError):
    """What went wrong, in words meant for the tester (never a traceback)."""


@dataclass
class OpenMessage:
    """The message being edited: its XML text, how it travels, and where it came from."""

    xml: str
    relay_state: str | None = None
    origin: str = ""  # where it was opened from, in words
    original_xml: str = ""  # as opened: the diff of the sent message is taken against this

    def __post_init__(self) -> None:
        if not self.original_xml:
            self.original_xml = self.xml

    @property
    def kind(self) -> str:
        m = re.search(r"<(?:[\w.-]+:)?(\w+)[\s>/]", _after_prolog(self.xml))
        return m.group(1) if m else ""

    @property
    def is_request(self) -> bool:
        return self.kind in REQUEST_KINDS

    @property
    def param(self) -> str:
        return "SAMLRequest" if self.kind.endswith("Request") else "SAMLResponse"


def _after_prolog(text: str) -> str:
    """The text from the root element on (skips the declaration, comments and PIs)."""
    i = 0
    while True:
        j = text.find("<", i)
        if j < 0 or text[j + 1 : j + 2] not in ("?", "!"):
            return text[j:] if j >= 0 else ""
        end = text.find("-->", j) + 3 if text.startswith("<!--", j) else text.find(">", j) + 1
        if end <= 0:
            return ""
        i = end


def parse_xml(text: str | bytes) -> etree._Element:
    """The root of the edited XML, by the same safe-parser rules the SP applies (no DOCTYPE, entities,
    deep nesting, namespace floods; UTF-8 only; bounded size), or WorkbenchError naming the problem."""
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise WorkbenchError(f"the XML holds a character that is not valid Unicode (position {err.start})") from err
    else:
        data = text
    try:
        return safexml.parse(data, codec.MAX_MESSAGE_BYTES)
    except safexml.UnsafeXML as err:
        raise WorkbenchError(f"{err.message} [{err.code}]") from err


def serialize(root: etree._Element) -> str:
    """The tree back to text, with a declaration, touching no whitespace (signatures stay intact)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def from_text(text: str | bytes, origin: str = "pasted text") -> OpenMessage:
    """The first SAML message in anything `saml-harness decode` reads (XML, base64, URL, form, HTML)."""
    try:
        found = decode_any(text)
    except DecodeFailure as err:
        raise WorkbenchError(str(err)) from err
    first = found[0]
    try:
        xml = first.xml_bytes.decode("utf-8")
    except UnicodeDecodeError as err:
        raise WorkbenchError(f"the message is not UTF-8 (byte {err.start}); SAML messages are UTF-8") from err
    return OpenMessage(xml=xml, relay_state=first.relay_state, origin=origin)


def from_message(msg: Message, where: str) -> OpenMessage:
    """A decoded message (a trace step's, the inspector's), as it travelled."""
    if msg.raw:
        # The recorder keeps the value decoded; a browser capture keeps it as the query or form body
        # spelled it (URL-encoded: base64 never holds a '%').
        encoded = "%" in msg.raw
        text = (f"{msg.param}={msg.raw}" if encoded else urlencode({msg.param: msg.raw})) if msg.param else msg.raw
        opened = from_text(text, where)
    elif msg.xml:
        opened = from_text(msg.xml, where + ", from its pretty-printed XML: signatures will not verify")
    else:
        raise WorkbenchError(f"the message was not recorded: {msg.error or 'nothing to open'}")
    if msg.relay_state is not None:
        opened.relay_state = msg.relay_state
    return opened


def from_step(step: Step, origin: str = "") -> OpenMessage:
    """The message of one trace step, as it travelled."""
    if step.message is None:
        raise WorkbenchError(f"step {step.index} carries no SAML message")
    return from_message(step.message, origin or f"step {step.index} ({step.label})")


def default_step(trace: Trace) -> Step:
    """The step a tester most likely means: the Response posted to the SP, else the first message."""
    with_message = [s for s in trace.steps if s.message is not None and (s.message.raw or s.message.xml)]
    if not with_message:
        raise WorkbenchError("the trace has no step with a SAML message")
    for s in with_message:
        if s.dst == "sp" and s.message.summary.kind == "Response":
            return s
    return with_message[0]


def from_trace(trace: Trace, index: int | None = None, origin: str = "trace") -> OpenMessage:
    if index is None:
        step = default_step(trace)
    else:
        step = next((s for s in trace.steps if s.index == index), None)
        if step is None:
            raise WorkbenchError(f"the trace has no step {index} (steps 1-{len(trace.steps)})")
    return from_step(step, f"{origin}, step {step.index} ({step.label})")


def load(spec: str) -> OpenMessage:
    """`FILE` (any form `decode` reads) or `TRACE.json[:STEP]`."""
    path, index = Path(spec), None
    m = re.fullmatch(r"(.+):(\d+)", spec)
    if not path.exists() and m and Path(m.group(1)).exists():
        path, index = Path(m.group(1)), int(m.group(2))
    if not path.is_file():
        raise WorkbenchError(f"no such file: {spec}")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WorkbenchError(f"{path} is over {MAX_FILE_BYTES} bytes: not a SAML message")
        data = path.read_bytes()
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror}") from err
    if index is not None or data.lstrip()[:1] == b"{":
        try:
            trace = Trace.from_json(data.decode("utf-8"))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise WorkbenchError(f"{path} is not a trace file: {err}") from err
        return from_trace(trace, index, origin=path.name)
    return from_text(data, origin=path.name)
