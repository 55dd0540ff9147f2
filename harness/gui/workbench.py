"""Sending an edited message from the app: in the controller's thread pool, back through the Bridge.

The worker gets a copy of the message, so nothing the tester types meanwhile is touched, and a
failed send changes nothing in the editor. A sent message's trace joins the history like a run.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.commands.send import embedded_destination
from harness.core.workbench.binding import REDIRECT, post_fields, redirect_url
from harness.core.workbench.message import OpenMessage, WorkbenchError
from harness.core.workbench.send import Destination, SendOptions, SendResult, binding_of, prepare, send
from harness.gui.errors import in_words
from harness.gui.history import HistoryEntry

if TYPE_CHECKING:
    from harness.gui.controller import AppController

EMBEDDED_SP, MOCK_IDP, OTHER_URL = "sp", "idp", "url"


@dataclass
class TargetChoice:
    kind: str  # EMBEDDED_SP | MOCK_IDP | OTHER_URL
    idm_key: str = ""
    url: str = ""
    login_url: str = ""  # OTHER_URL: the SP's login URL, for a fresh request to answer


class WorkbenchSender:
    def __init__(self, controller: AppController):
        self.controller = controller
        self.sending = False
        self.last_entry: HistoryEntry | None = None
        controller.bridge.workbench_sent.connect(self._sent)
        controller.bridge.workbench_failed.connect(self._failed)

    def destination(self, message: OpenMessage, target: TargetChoice) -> Destination:
        servers = self.controller.servers
        if target.kind == OTHER_URL:
            url = target.url.strip()
            if not url:
                raise WorkbenchError("type the URL to send to (an SP's ACS, or an IdP's SSO URL)")
            return Destination(url=url, name=url, login_url=target.login_url.strip() or None)
        if servers is None:
            raise WorkbenchError("the servers are not running yet: wait for them, or send to another URL")
        if target.kind == MOCK_IDP and not message.is_request:
            raise WorkbenchError("the mock IdP takes requests (AuthnRequest, LogoutRequest), not a Response")
        if target.kind == EMBEDDED_SP and message.is_request:
            raise WorkbenchError(f"the SP's ACS takes Responses; send this {message.kind} to the mock IdP")
        return embedded_destination(servers, target.idm_key, message)

    def send(self, message: OpenMessage, options: SendOptions, target: TargetChoice) -> bool:
        """Start sending (False, with the reason through the Bridge, when it cannot start)."""
        bridge = self.controller.bridge
        if self.sending:
            bridge.workbench_failed.emit("A message is already being sent.")
            return False
        try:
            dest = self.destination(message, target)
        except WorkbenchError as err:
            bridge.workbench_failed.emit(f"Cannot send: {err}.")
            return False
        copy = replace(message)
        ws = self.controller.workspace
        servers = self.controller.servers if dest.trusted_cert is not None else None
        self.sending = True

        def work() -> SendResult:
            return send(copy, options, dest, ws=ws, servers=servers)

        def failed(err: Exception) -> None:
            words = str(err) if isinstance(err, WorkbenchError) else in_words(err)
            bridge.workbench_failed.emit(f"Not sent: {words}.")

        self.controller.tasks.start(work, done=bridge.workbench_sent.emit, failed=failed)
        return True

    def _sent(self, result: SendResult) -> None:
        self.sending = False
        entry = HistoryEntry(uuid.uuid4().hex[:10], result.trace, "workbench", source=result.trace.origin)
        self.controller.history.append(entry)
        self.last_entry = entry  # for the page: "Open as trace"
        self.controller.bridge.history_changed.emit()

    def _failed(self, _why: str) -> None:
        self.sending = False

    def open_in_browser(self, message: OpenMessage, options: SendOptions, target: TargetChoice) -> str:
        """Hand the prepared message to the tester's own browser: a self-posting form (POST) or the
        URL (Redirect). Returns what was opened."""
        dest = self.destination(message, target)
        options = replace(options, refresh=False if options.refresh is None else options.refresh)
        address = dest.url if dest.embedded else None
        prepared = prepare(message, options, self.controller.workspace, address=address, reply_to=dest.reply_to)
        if binding_of(message, options) == REDIRECT:
            url = redirect_url(dest.url, message.param, prepared.xml, message.relay_state, signer=prepared.signer)
        else:
            url = _autopost_file(dest.url, post_fields(message.param, prepared.xml, message.relay_state))
        self.controller.open_url(url)
        return url


def _autopost_file(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    page = (
        "<!doctype html><meta charset=utf-8><title>SAML harness: sending an edited message</title>"
        f'<body onload="document.forms[0].submit()"><form method="post" action="{escape(action)}">{inputs}'
        "<noscript><button>Send</button></noscript></form></body>"
    )
    fd, name = tempfile.mkstemp(prefix="saml-harness-send-", suffix=".html")
    with open(fd, "w", encoding="utf-8") as f:
        f.write(page)
    return Path(name).as_uri()
