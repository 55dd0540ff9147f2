"""Sending an edited message from the app: in the controller's thread pool, back through the Bridge.

The worker gets a copy of the message, so nothing the tester types meanwhile is touched, and a
failed send changes nothing in the editor. A sent message's trace joins the history like a run.
"Open in browser" to the harness's own servers is recorded (harness.core.workbench.in_browser):
its trace joins the history at once and fills as the tester's browser goes on, until the tester
stops it or another recording of the browser starts (the controller's `browser` holds it).
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.commands.send import embedded_destination
from harness.core.workbench.binding import REDIRECT
from harness.core.workbench.in_browser import BrowserRecording, Handoff, hand_off
from harness.core.workbench.message import OpenMessage, WorkbenchError
from harness.core.workbench.send import Destination, SendOptions, SendResult, send
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
        self.recording: tuple[str, BrowserRecording] | None = None  # run id: the browser being recorded
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
        """Hand the prepared message to the tester's own browser: the Redirect URL, or a page that
        posts it. Recorded when it goes to the harness's own servers. Returns what was opened."""
        dest = self.destination(message, target)
        handoff = hand_off(message, options, dest, self.controller.workspace)
        servers = self.controller.servers
        if not dest.embedded or servers is None:
            self.stop_recording()  # the tester moved on from the message being recorded
            url = handoff.url if handoff.binding == REDIRECT else _autopost_file(handoff)
        else:
            url = self._record(handoff)
        self.controller.open_url(url)
        return url

    def _record(self, handoff: Handoff) -> str:
        """Start recording the browser (ending any other recording of it); the URL to open."""
        bridge, run_id = self.controller.bridge, uuid.uuid4().hex[:10]
        started: list[BrowserRecording] = []  # set once built: the servers call back from their threads

        def stepped(_trace, step) -> None:
            bridge.step_recorded.emit(run_id, step)
            if started:
                bridge.workbench_recorded.emit(run_id, started[0].result())

        def foreign(_trace, _step) -> None:
            bridge.foreign_recorded.emit(run_id)
            if started:
                bridge.workbench_recorded.emit(run_id, started[0].result())

        self.controller.browser.stop()  # one recording of the tester's browser at a time
        rec = BrowserRecording(self.controller.servers, handoff, on_step=stepped, on_foreign=foreign)
        started.append(rec)
        entry = HistoryEntry(run_id, rec.trace, "workbench", running=True, source=rec.trace.origin)
        self.controller.history.append(entry)
        self.recording, self.last_entry = (run_id, rec), entry
        self.controller.browser.hold(run_id, lambda: self._ended(run_id, rec, entry))
        bridge.history_changed.emit()
        bridge.workbench_recorded.emit(run_id, rec.result())
        return rec.url

    @property
    def recording_id(self) -> str | None:
        return self.recording[0] if self.recording else None

    def stop_recording(self) -> None:
        """The tester closes the recording (the controller's `browser` calls `_ended`)."""
        if self.recording is not None:
            self.controller.browser.stop()

    def _ended(self, run_id: str, rec: BrowserRecording, entry: HistoryEntry) -> None:
        rec.stop()
        entry.running = False
        if self.recording is not None and self.recording[0] == run_id:
            self.recording = None
        bridge = self.controller.bridge
        bridge.workbench_recorded.emit(run_id, rec.result())
        bridge.workbench_recording_ended.emit(run_id)
        bridge.history_changed.emit()


def _autopost_file(handoff: Handoff) -> str:
    """For another SP (nothing to record): the self-posting page as a local file."""
    fd, name = tempfile.mkstemp(prefix="saml-harness-send-", suffix=".html")
    with open(fd, "w", encoding="utf-8") as f:
        f.write(handoff.page())
    return Path(name).as_uri()
