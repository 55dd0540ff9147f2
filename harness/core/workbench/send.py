"""Prepare an edited message (refresh, strip, re-sign, encrypt) and send it with the scripted
browser, in the right binding, to an SP's ACS or an IdP's SSO/SLO URL. The result is a new Trace
(the SP's own checks when the embedded servers are listening), with the SP's answer and a diff of
what was sent against the message as it was opened."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from harness.core.battery import LoginError, start_login
from harness.core.browser import BrowserError, Page, ScriptedBrowser
from harness.core.certs import KeyPair
from harness.core.message_diff import MessageDiff, diff_messages
from harness.core.recorder import TraceRecorder
from harness.core.safe_url import urlsplit
from harness.core.trace import Step, Trace
from harness.core.workbench.binding import POST, REDIRECT, post_fields, redirect_url
from harness.core.workbench.encryption import EncryptionChoice, encrypt
from harness.core.workbench.fields import read_field, set_field
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml, serialize
from harness.core.workbench.signing import SigningChoice, apply_signing, resolve_key
from harness.core.workbench.transforms import refresh
from harness.core.workspace import Workspace

REASON_HEADER = "X-SAML-Reason"
BOUNCE_HEADER = "X-SAML-Bounce"
ACCEPTED, REFUSED, ERROR = "accepted", "refused", "error"
WAITING = "waiting"  # handed to the tester's browser, which has not sent it yet


@dataclass
class Destination:
    """Where the message goes, and what helps judge the answer."""

    url: str  # an SP's ACS, or an IdP's SSO/SLO endpoint
    name: str = ""
    login_url: str | None = None  # the SP's login URL: a fresh AuthnRequest to answer (refresh)
    session_url: str | None = None  # answers JSON {"authenticated": ..., "login": ...} (embedded /whoami)
    trusted_cert: Callable[[str], bytes | None] | None = None  # issuer -> PEM, to check signatures in the trace
    subscription: str = ""  # the embedded SP's idm_key, for the trace
    embedded: bool = False  # the harness's own servers (on ports that change from run to run)
    reply_to: str = ""  # embedded mock IdP: the embedded SP's ACS, for its own AuthnRequest's ACS URL

    def check(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WorkbenchError(f"the target must be an http:// or https:// URL, not {self.url!r}")


@dataclass
class SendOptions:
    signing: SigningChoice = field(default_factory=SigningChoice)
    refresh: bool | None = None  # None: when re-signing (the old IDs were used, the old request answered)
    encryption: EncryptionChoice | None = None
    binding: str | None = None  # None: POST for Responses, Redirect for requests
    readdress: bool | None = None  # None: for the embedded servers (see `readdress`)
    timeout: float = 15.0

    def refreshes(self) -> bool:
        return bool(self.signing.resign) if self.refresh is None else self.refresh


@dataclass
class Prepared:
    xml: bytes
    signer: KeyPair | None  # what re-signed it (the Redirect binding signs the query with it)
    notes: list[str] = field(default_factory=list)


def readdress(message: OpenMessage, root: etree._Element, url: str, reply_to: str = "") -> list[str]:
    """Address the message to `url` where the tester left the address as opened (Destination, and a
    Response's Recipient; with `reply_to`, a request's AssertionConsumerServiceURL): the embedded
    servers listen on new ports each run, so an old message is otherwise refused for its address
    before the check the tester means to test. An address the tester edited is left alone."""
    original = parse_xml(message.original_xml)
    notes = []
    for keys, target in ((("destination", "recipient"), url), (("acs_url",), reply_to)):
        changed = []
        for key in keys if target else ():
            now, then = read_field(root, key), read_field(original, key)
            if now is not None and now == then and now != target:
                set_field(root, key, target)
                changed.append(key)
        if changed:
            notes.append(f"re-addressed to {target} ({' and '.join(changed)})")
    return notes


def prepare(
    message: OpenMessage,
    options: SendOptions,
    ws: Workspace | None,
    *,
    request_id: str | None = None,
    address: str | None = None,
    reply_to: str = "",
) -> Prepared:
    """The bytes to send: the editor's XML, made current and re-addressed if asked, then stripped,
    re-signed, encrypted."""
    try:
        root = parse_xml(message.xml)
    except WorkbenchError as err:
        return _as_written(message, options, err)
    notes: list[str] = readdress(message, root, address, reply_to) if address else []
    if options.refreshes():
        issued = parse_xml(message.original_xml).get("IssueInstant")
        refresh(root, request_id=request_id, now=dt.datetime.now(dt.UTC), issued=issued)
        notes.append(
            "made current: new IDs, times from now"
            + (f", answering the fresh request {request_id}" if request_id else "")
        )
    signing = options.signing
    redirect_request = message.is_request and binding_of(message, options) == REDIRECT
    signer = resolve_key(signing, ws, root) if signing.resign else None
    if redirect_request and "response" in signing.resign:
        # The Redirect binding signs the query string, not the XML.
        xml_signing = SigningChoice(strip=signing.strip | {"response"}, resign=set(), hash=signing.hash)
        apply_signing(root, xml_signing, None)
    elif options.encryption is not None:
        # The Assertion is signed before it is encrypted, the Response over the encrypted form.
        inner = SigningChoice(strip=signing.strip & {"assertion"}, resign=signing.resign & {"assertion"})
        outer = SigningChoice(strip=signing.strip & {"response"}, resign=signing.resign & {"response"})
        inner.hash = outer.hash = signing.hash
        inner.digest = outer.digest = signing.digest
        apply_signing(root, inner, signer)
        encrypt(root, options.encryption)
        apply_signing(root, outer, signer)
        notes.append(f"Assertion encrypted ({options.encryption.data_alg}, {options.encryption.key_alg})")
    else:
        apply_signing(root, signing, signer)
    notes.append(signing.words())
    return Prepared(serialize(root).encode("utf-8"), signer if redirect_request else None, notes)


def _as_written(message: OpenMessage, options: SendOptions, err: WorkbenchError) -> Prepared:
    """A message the safe parser refuses (an XXE test) can still be sent, byte for byte as written,
    when nothing needs to be changed in it: the SP under test must refuse it itself."""
    if options.refreshes() or not options.signing.keeps_all or options.encryption is not None:
        raise WorkbenchError(f"{err}; such a message can only be sent as written (keep signatures, no refresh)")
    try:
        data = message.xml.encode("utf-8")
    except UnicodeEncodeError as enc:
        raise WorkbenchError(f"the XML holds a character that is not valid Unicode (position {enc.start})") from enc
    return Prepared(data, None, [f"sent as written, unchecked: {err}"])


def address_for(options: SendOptions, destination: Destination) -> str | None:
    """Where to re-address the message (see `readdress`): the embedded servers' URL unless told."""
    readdressing = destination.embedded if options.readdress is None else options.readdress
    return destination.url if readdressing else None


def describe_sent(trace: Trace, message: OpenMessage, sent: str) -> MessageDiff:
    """The trace of a sent message names its NameID and carries the diff against the message as opened."""
    trace.user = _name_id(sent)
    diff = diff_messages(message.original_xml, sent, names=("as opened", "as sent"))
    trace.diff = diff.summary + "\n\n" + diff.text
    return diff


def binding_of(message: OpenMessage, options: SendOptions) -> str:
    if options.binding not in (None, POST, REDIRECT):
        raise WorkbenchError(f"unknown binding {options.binding!r}: use post or redirect")
    return options.binding or (REDIRECT if message.is_request else POST)


@dataclass
class SendResult:
    trace: Trace
    sent_xml: str
    diff: MessageDiff
    verdict: str  # accepted | refused | error
    status: int | None = None
    reason: str = ""  # X-SAML-Reason
    location: str = ""
    login: str | None = None  # whose session opened (when the SP says)
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {ACCEPTED: 0, REFUSED: 1}.get(self.verdict, 2)

    def answer(self) -> str:
        """The SP's answer in one line."""
        if self.error:
            return f"error: {self.error}"
        if self.verdict == WAITING:
            return "waiting for your browser to send it"
        text = f"{self.verdict}: HTTP {self.status}"
        if self.reason:
            text += f", {self.reason}"
        if self.login:
            text += f", session for {self.login}"
        return text

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "status": self.status,
            "reason": self.reason,
            "location": self.location,
            "login": self.login,
            "error": self.error,
            "notes": self.notes,
            "diff": self.diff.to_dict(),
            "sent_xml": self.sent_xml,
            "trace": self.trace.to_dict(),
        }


def send(
    message: OpenMessage,
    options: SendOptions,
    destination: Destination,
    *,
    ws: Workspace | None = None,
    servers=None,
) -> SendResult:
    """Send the edited message once, in a fresh scripted browser, and record what happened."""
    destination.check()
    trace = Trace(
        title=f"Edited {message.kind or 'message'} sent to {destination.name or destination.url}",
        flow="workbench",
        origin=message.origin,
        subscription=destination.subscription,
    )
    browser = ScriptedBrowser(timeout=options.timeout)
    recorder = None
    if servers is not None:
        recorder = TraceRecorder(
            trace, flow_id=browser.flow_id, trusted_cert=destination.trusted_cert or (lambda _i: None)
        )
        servers.add_listener(recorder)
    try:
        return _send(message, options, destination, ws, browser, trace, recorder is not None)
    finally:
        if recorder is not None:
            servers.remove_listener(recorder)
        browser.close()


def _fresh_request(message: OpenMessage, options: SendOptions, destination: Destination, browser) -> str | None:
    if not options.refreshes() or message.is_request or not destination.login_url:
        return None
    if "InResponseTo" not in message.xml:
        return None  # unsolicited: nothing to answer
    try:
        return start_login(browser.session, destination.login_url, options.timeout).id
    except LoginError as err:
        raise WorkbenchError(f"cannot get a fresh AuthnRequest from {destination.login_url}: {err}") from err


def _send(
    message: OpenMessage,
    options: SendOptions,
    destination: Destination,
    ws: Workspace | None,
    browser: ScriptedBrowser,
    trace: Trace,
    recorded: bool,
) -> SendResult:
    request_id = _fresh_request(message, options, destination, browser)
    address = address_for(options, destination)
    prepared = prepare(message, options, ws, request_id=request_id, address=address, reply_to=destination.reply_to)
    sent = prepared.xml.decode("utf-8")
    diff = describe_sent(trace, message, sent)
    result = SendResult(trace=trace, sent_xml=sent, diff=diff, verdict=ERROR, notes=prepared.notes)
    mark = len(browser.history)
    try:
        if binding_of(message, options) == REDIRECT:
            url = redirect_url(
                destination.url,
                message.param,
                prepared.xml,
                message.relay_state,
                signer=prepared.signer,
                hash_name=options.signing.hash,
            )
            browser.get(url)
        else:
            browser.post(destination.url, post_fields(message.param, prepared.xml, message.relay_state))
    except BrowserError as err:
        result.error = str(err)
        trace.outcome, trace.outcome_detail = "error", result.error
        return result
    pages = browser.history[mark:]
    answer = next((p for p in pages if BOUNCE_HEADER not in p.headers), pages[-1])
    result.status, result.location = answer.status, answer.headers.get("Location", "")
    result.reason = answer.headers.get(REASON_HEADER, "")
    if destination.session_url:
        result.login = _session_login(browser, destination.session_url)
    ok = answer.status < 400 and not result.reason
    if destination.session_url and not message.is_request:
        ok = ok and result.login is not None
    result.verdict = ACCEPTED if ok else (ERROR if answer.status >= 500 else REFUSED)
    if not recorded:
        trace.steps = _steps_from_pages(pages, message.param)
    trace.outcome = {ACCEPTED: "session" if result.login else "accepted", REFUSED: "refused"}.get(
        result.verdict, "error"
    )
    trace.outcome_detail = result.answer()
    trace.login = result.login
    return result


def _name_id(xml: str) -> str:
    try:
        return read_field(parse_xml(xml), "nameid") or ""
    except WorkbenchError:
        return ""


def _session_login(browser: ScriptedBrowser, url: str) -> str | None:
    try:
        r = browser.session.get(url, allow_redirects=False, timeout=browser.timeout)
        body = r.json() if r.status_code == 200 else {}
    except (ValueError, OSError, json.JSONDecodeError):
        return None
    except Exception:
        return None
    return body.get("login") if isinstance(body, dict) and body.get("authenticated") else None


def _steps_from_pages(pages: list[Page], param: str) -> list[Step]:
    """Steps seen from the browser, for an SP the harness does not run (no server-side checks)."""
    steps = []
    for i, p in enumerate(pages, 1):
        host = urlsplit(p.url).netloc
        reason = p.headers.get(REASON_HEADER, "")
        step = Step(
            index=i,
            time=0.0,
            src="browser",
            dst="sp",
            method="POST" if i == 1 else "GET",
            url=p.url,
            status=p.status,
            location=p.headers.get("Location"),
            label=f"{'POST' if i == 1 else 'GET'} {host}{urlsplit(p.url).path}",
            verdict="refused" if p.status >= 400 else "info",
            code=reason,
            headers=p.headers,
        )
        steps.append(step)
    return steps
