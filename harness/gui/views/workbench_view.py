"""The message workbench page: the XML and the structured form kept in sync, the signing, encryption
and transform choices, a target, Send and Open in browser; the SP's answer and a diff beneath (for
Open in browser, what the tester's browser got, as it is recorded, until Stop recording).

Edits go XML → form as the tester types (once the XML parses), and form → XML when a field is
finished. A failed transform or send shows its reason and leaves the tester's text as it was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from harness.core.decode import DecodeFailure, pretty_xml
from harness.core.trace import Message, Step
from harness.core.workbench import edit, fields
from harness.core.workbench.message import OpenMessage, WorkbenchError, from_message, from_step, from_text, parse_xml
from harness.core.workbench.send import WAITING, SendResult
from harness.gui.controller import AppController
from harness.gui.errors import in_words
from harness.gui.history import HistoryEntry
from harness.gui.plain import plain_label
from harness.gui.views.diff_view import DiffView
from harness.gui.views.editor_base import title_label
from harness.gui.views.message_detail import MessageDetail
from harness.gui.views.workbench_form import FieldsForm
from harness.gui.views.workbench_options import WorkbenchOptions
from harness.gui.views.xml_editor import XmlEditor
from harness.gui.workbench import WorkbenchSender

BANNER = {
    "accepted": "color: #1b5e20; background: #e8f5e9; border-left: 4px solid #1b5e20; padding: 6px; font-weight: bold",
    "refused": "color: #b71c1c; background: #ffebee; border-left: 4px solid #b71c1c; padding: 6px; font-weight: bold",
    "error": "color: #4a148c; background: #f3e5f5; border-left: 4px solid #4a148c; padding: 6px; font-weight: bold",
    "info": "color: #37474f; background: #eceff1; border-left: 4px solid #37474f; padding: 6px",
}


class WorkbenchPage(QWidget):
    open_trace = Signal(object)  # HistoryEntry: show the sent message's trace on the trace page

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.sender_ = WorkbenchSender(controller)
        self.message = OpenMessage(xml="")
        self.last_result: SendResult | None = None
        self.last_entry: HistoryEntry | None = None
        self.following: str | None = None  # the browser recording whose results are shown

        self.origin = plain_label("No message open.")
        self.origin.setTextFormat(Qt.TextFormat.PlainText)
        self.origin.setWordWrap(True)
        self.origin.setStyleSheet("color: #607d8b")
        self.editor = XmlEditor()
        self.form = FieldsForm()
        self.options = WorkbenchOptions()
        self.revert_btn = QPushButton("Revert to as opened")
        self.pretty_btn = QPushButton("Pretty-print")
        self.pretty_btn.setToolTip("Indent the XML for reading. Whitespace is signed content: kept signatures break.")
        self.notice = plain_label("")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Workbench notice")
        self.banner = plain_label("Send the message: the SP's answer and what changed appear here.")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER["info"])
        self.open_trace_btn = QPushButton("Open as trace")
        self.open_trace_btn.setEnabled(False)
        self.stop_btn = QPushButton("Stop recording")
        self.stop_btn.setToolTip("Stop recording what your browser does with the message")
        self.stop_btn.setVisible(False)
        self.diff = DiffView()
        self.answer = MessageDetail(blank="Send the message to see how the SP checked it.")
        self.result_tabs = QTabWidget()
        self.result_tabs.addTab(self.diff, "What changed")
        self.result_tabs.addTab(self.answer, "SP's checks")

        tools = QHBoxLayout()
        tools.addWidget(self.origin, 1)
        tools.addWidget(self.pretty_btn)
        tools.addWidget(self.revert_btn)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.editor)
        split.addWidget(self.form)
        split.setSizes([620, 420])
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(tools)
        tl.addWidget(split, 1)
        tl.addWidget(self.options)
        tl.addWidget(self.notice)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.banner, 1)
        head.addWidget(self.stop_btn)
        head.addWidget(self.open_trace_btn)
        bl.addLayout(head)
        bl.addWidget(self.result_tabs, 1)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(top)
        vsplit.addWidget(bottom)
        vsplit.setSizes([520, 240])
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "Edit and send",
                "Change any message, keep, strip or re-sign its signatures, and send it again: the SP's answer "
                "comes back as a new trace.",
            )
        )
        lay.addWidget(vsplit, 1)

        self.editor.text_edited.connect(self._xml_edited)
        self.form.field_edited.connect(self._field_edited)
        self.options.scenario_requested.connect(self.apply_scenario)
        self.options.shift_requested.connect(self.shift_times)
        self.options.send_btn.clicked.connect(self.send)
        self.options.browser_btn.clicked.connect(self.open_in_browser)
        self.revert_btn.clicked.connect(self.revert)
        self.pretty_btn.clicked.connect(self.pretty_print)
        self.open_trace_btn.clicked.connect(lambda: self.last_entry and self.open_trace.emit(self.last_entry))
        self.stop_btn.clicked.connect(self.sender_.stop_recording)
        controller.bridge.workbench_sent.connect(self._sent)
        controller.bridge.workbench_failed.connect(self._failed)
        controller.bridge.workbench_recorded.connect(self._recorded)
        controller.bridge.workbench_recording_ended.connect(self._recording_ended)
        self._set_busy(False)

    def reload(self) -> None:
        self.options.reload(self.controller.workspace)
        self.options.suit(self.message.is_request)

    # -- opening -----------------------------------------------------------------------------------

    def open_message(self, message: OpenMessage) -> None:
        self.message = message
        self.origin.setText(f"{message.kind or 'Message'} from {message.origin}")
        self.editor.set_text(message.xml)
        self._sync_form()
        self.options.suit(message.is_request)
        self._say("")

    def open_step(self, step: Step) -> bool:
        return self._open(lambda: from_step(step))

    def open_inspected(self, msg: Message) -> bool:
        return self._open(lambda: from_message(msg, "the inspector"))

    def open_text(self, text: str, origin: str) -> bool:
        return self._open(lambda: from_text(text, origin))

    def _open(self, make) -> bool:
        try:
            self.open_message(make())
        except WorkbenchError as err:
            self.controller.bridge.error(f"Cannot open the message in the editor: {err}.")
            return False
        return True

    # -- the two views, in sync ----------------------------------------------------------------------

    def _sync_form(self) -> None:
        try:
            values = fields.read_all(parse_xml(self.message.xml))
        except WorkbenchError:
            values = None
        self.form.set_values(values, self.message.relay_state)

    def _xml_edited(self, text: str) -> None:
        self.message.xml = text
        self._sync_form()

    def _field_edited(self, key: str, value: str) -> None:
        self._edit(lambda m: edit.set_fields(m, [(key, value)]), f"{key} set")

    def _edit(self, change, done: str) -> bool:
        """Apply `change` to the message; on failure say why and keep the text."""
        self.editor.flush()
        before = (self.message.xml, self.message.relay_state)
        try:
            note = change(self.message)
        except WorkbenchError as err:
            self.message.xml, self.message.relay_state = before
            self._say(f"✘ {err}", error=True)
            self._sync_form()
            return False
        self.editor.set_text(self.message.xml)
        self._sync_form()
        self._say(f"✔ {done}" + (f" ({note})" if isinstance(note, str) and note else ""))
        return True

    def apply_scenario(self, name: str) -> bool:
        return self._edit(lambda m: edit.scenario(m, name, self.controller.workspace), f"scenario {name} applied")

    def shift_times(self, seconds: int) -> bool:
        return self._edit(lambda m: f"{edit.shift(m, seconds)} times moved", f"times shifted by {seconds} s")

    def pretty_print(self) -> bool:
        def indent(m: OpenMessage) -> str:
            parse_xml(m.xml)  # the safe parser's verdict first
            try:
                m.xml = pretty_xml(m.xml.encode("utf-8"))
            except (DecodeFailure, ValueError) as err:
                raise WorkbenchError(str(err)) from err
            return "kept signatures will not verify any more"

        return self._edit(indent, "pretty-printed")

    def revert(self) -> None:
        self.message.xml = self.message.original_xml
        self.editor.set_text(self.message.xml)
        self._sync_form()
        self._say("Reverted to the message as it was opened.")

    # -- sending -------------------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet("color: #c62828; font-weight: bold" if error else "color: #2e7d32")

    def _set_busy(self, busy: bool) -> None:
        self.options.send_btn.setEnabled(not busy)
        self.options.send_btn.setText("Sending…" if busy else "Send")

    def send(self) -> bool:
        self.editor.flush()
        self.message.xml = self.editor.text()
        try:
            options = self.options.options()
        except WorkbenchError as err:
            self._say(f"✘ {err}", error=True)
            return False
        if not self.sender_.send(self.message, options, self.options.target_choice()):
            return False
        self.following = None  # the send's answer is shown now; a recording goes on in the traces
        self._set_busy(True)
        self._say("Sending…")
        return True

    def open_in_browser(self) -> bool:
        self.editor.flush()
        try:
            opened = self.sender_.open_in_browser(self.message, self.options.options(), self.options.target_choice())
        except WorkbenchError as err:
            self._say(f"✘ {err}", error=True)
            return False
        except Exception as err:
            self._say(f"✘ {in_words(err)}", error=True)
            return False
        if self.sender_.recording is None:
            self._say(f"✔ Opened in your browser (another SP: not recorded): {opened[:200]}")
            return True
        self.following, rec = self.sender_.recording
        self.last_entry = self.sender_.last_entry
        self._recorded(self.following, rec.result())
        notes = "; ".join(rec.handoff.notes)
        self._say(f"✔ Opened in your browser ({notes}); what it does with the message is recorded below.")
        return True

    def _show(self, result: SendResult, heading: str = "") -> None:
        """A Send's result, or what the tester's browser got so far: the banner, the diff, the checks."""
        self.last_result = result
        if heading:  # a recording: what happened first (the notes are in the notice line)
            n = len(result.trace.foreign)
            foreign = f"  ·  {n} foreign request(s) kept apart" if n else ""
            self.banner.setText(f"{heading} · {result.answer()}{foreign}\n{result.trace.title}")
        else:
            self.banner.setText(f"{result.trace.title}\n{result.answer()}  ·  " + "; ".join(result.notes))
        style = BANNER["info"] if result.verdict == WAITING else BANNER.get(result.verdict, BANNER["error"])
        self.banner.setStyleSheet(style)
        self.banner.setProperty("verdict", result.verdict)
        self.diff.set_diff(result.diff, title="as sent", blank="Nothing changed.")
        step = next((s for s in result.trace.steps if s.checks), None) or (
            result.trace.steps[0] if result.trace.steps else None
        )
        self.answer.set_step(step, result.trace)
        self.open_trace_btn.setEnabled(self.last_entry is not None)

    def _sent(self, result: SendResult) -> None:
        self._set_busy(False)
        self.last_entry = self.sender_.last_entry
        self._show(result)
        self._say("✔ Sent. The editor still holds your message: change it and send again.")

    def _recorded(self, run_id: str, result: SendResult) -> None:
        recording = run_id == self.sender_.recording_id
        self.stop_btn.setVisible(self.sender_.recording is not None)
        if run_id != self.following:
            return  # an ended recording's late news, or one a Send has replaced on screen
        self._show(result, "● Recording your browser" if recording else "Recording ended")

    def _recording_ended(self, _run_id: str) -> None:
        self.stop_btn.setVisible(self.sender_.recording is not None)

    def _failed(self, why: str) -> None:
        self._set_busy(False)
        self._say(f"✘ {why}", error=True)
