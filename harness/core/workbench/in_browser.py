"""Open the edited message in the tester's own browser, and record what follows.

Send drives the scripted browser; "Open in browser" hands the same prepared message to a real one.
For the harness's own servers that hand-off is a recording (harness.core.recording): the URL
opened first passes through both servers, which give the browser the recording's token cookie,
and then leads to the Redirect URL itself or, for the HTTP-POST binding, to a page of the SP's own
that posts the message. The requests that carry the token make the trace (any other request is
kept apart as foreign), and the step where the destination judged the message is the verdict, as
in a Send result. Another SP's answer never reaches the harness: such a hand-off is not recorded.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field, replace

from harness.core import runner
from harness.core.message_diff import MessageDiff
from harness.core.recorder import StepCallback
from harness.core.safe_url import urlsplit
from harness.core.servers import Servers
from harness.core.trace import Step, Trace
from harness.core.workbench.binding import REDIRECT, post_fields, redirect_url
from harness.core.workbench.message import OpenMessage, WorkbenchError
from harness.core.workbench.send import (
    ACCEPTED,
    BOUNCE_HEADER,
    ERROR,
    REFUSED,
    WAITING,
    Destination,
    SendOptions,
    SendResult,
    address_for,
    binding_of,
    describe_sent,
    prepare,
)
from harness.core.workspace import Workspace
from samlkit.html import auto_post_form


@dataclass
class Handoff:
    """The prepared message as a browser gets it: a Redirect URL, or a form to post."""

    message: OpenMessage
    destination: Destination
    binding: str  # POST | REDIRECT
    url: str  # the Redirect URL, or the form's action
    fields: dict[str, str]  # the HTTP-POST binding's form fields (empty for Redirect)
    sent_xml: str
    notes: list[str] = field(default_factory=list)

    def page(self) -> str:
        """The HTTP-POST binding's page: a form that posts itself (a button without scripts)."""
        return auto_post_form(self.url, self.fields, actor="SAML harness: the edited message")


def hand_off(message: OpenMessage, options: SendOptions, destination: Destination, ws: Workspace | None) -> Handoff:
    """Prepare the message as Send does. Made current, a Response keeps its InResponseTo: the
    tester's browser has no fresh AuthnRequest of the harness's to answer (an unsolicited one does)."""
    destination.check()
    prepared = prepare(message, options, ws, address=address_for(options, destination), reply_to=destination.reply_to)
    if options.refreshes() and not message.is_request and "InResponseTo" in message.xml:
        prepared.notes.append("InResponseTo still names the request it answered: your browser asked for no new one")
    binding = binding_of(message, options)
    if binding == REDIRECT:
        url = redirect_url(
            destination.url,
            message.param,
            prepared.xml,
            message.relay_state,
            signer=prepared.signer,
            hash_name=options.signing.hash,
        )
        fields: dict[str, str] = {}
    else:
        url, fields = destination.url, post_fields(message.param, prepared.xml, message.relay_state)
    return Handoff(replace(message), destination, binding, url, fields, prepared.xml.decode("utf-8"), prepared.notes)


class BrowserRecording:
    """One hand-off to the tester's browser, recorded from `url` on until `stop`.

    `on_step` and `on_foreign` are called from the servers' threads as requests arrive.
    """

    def __init__(
        self,
        servers: Servers,
        handoff: Handoff,
        *,
        on_step: StepCallback | None = None,
        on_foreign: StepCallback | None = None,
    ):
        dest = handoff.destination
        if not dest.embedded:
            raise WorkbenchError(
                "only the harness's own servers can be recorded: another SP's answer never reaches them"
            )
        self.handoff = handoff
        message = handoff.message
        self.trace = Trace(
            title=f"Edited {message.kind or 'message'} opened in your browser, to {dest.name or dest.url}",
            flow="workbench",
            origin=message.origin,
            subscription=dest.subscription,
        )
        self.diff: MessageDiff = describe_sent(self.trace, message, handoff.sent_xml)
        sub = servers.sp_app.config.subscription(dest.subscription) if dest.subscription else None
        self._stack = ExitStack()
        self.token = servers.recordings.start()
        self._stack.callback(servers.recordings.end, self.token)
        try:
            self._stack.enter_context(
                runner.recording(
                    servers,
                    self.trace,
                    flow_id=None,
                    token=self.token,
                    on_step=on_step,
                    on_foreign=on_foreign,
                    decryption_key=sub.encryption_key_pem if sub else None,
                )
            )
            page = handoff.url if handoff.binding == REDIRECT else servers.recordings.page(self.token, handoff.page())
        except BaseException:
            self._stack.close()
            raise
        self.url = servers.recording_url(self.token, page)

    def answer_step(self) -> Step | None:
        """The step where the destination judged the handed message (the first, if the page was sent again)."""
        path = urlsplit(self.handoff.destination.url).path
        method = "GET" if self.handoff.binding == REDIRECT else "POST"
        for step in list(self.trace.steps):
            if step.method == method and urlsplit(step.url).path == path and BOUNCE_HEADER not in step.headers:
                return step
        return None

    def result(self) -> SendResult:
        """What the browser's request got so far, as a Send result (WAITING until it arrives)."""
        h = self.handoff
        result = SendResult(trace=self.trace, sent_xml=h.sent_xml, diff=self.diff, verdict=WAITING, notes=h.notes)
        step = self.answer_step()
        if step is None:
            return result
        result.status, result.location, result.login = step.status, step.location or "", self.trace.login
        if step.verdict == "error" or step.status >= 500:
            result.verdict = ERROR
        elif step.verdict == "refused" or step.status >= 400:
            result.verdict, result.reason = REFUSED, step.code
        else:
            result.verdict = ACCEPTED
        return result

    def stop(self) -> None:
        """Stop recording and end the token (the browser's later requests are nobody's)."""
        self._stack.close()
