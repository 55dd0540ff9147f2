"""The attack battery against the embedded SP or any other: each bad message, what the SP answered,
and whether that is what a safe SP does. Selecting a row shows what the attacker changed (a diff
against the legitimate message), the bad message decoded in the same tabs as a trace step, and
the scenario's details."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from harness.core.battery import no_diff_reason, result_diff
from harness.core.inspect_message import inspect
from harness.core.message_diff import MessageDiff, render
from harness.core.terminal import html_text as e
from harness.core.terminal import visible
from harness.core.trace import Message
from harness.gui.controller import AppController, ExternalSP
from harness.gui.models.battery import BatteryModel
from harness.gui.plain import plain_label, plain_tip
from harness.gui.views.diff_view import DiffView
from harness.gui.views.editor_base import title_label
from harness.gui.views.message_detail import MessageDetail

EMBEDDED, EXTERNAL = "embedded", "external"
BOTTOM_TABS = ("Diff", "Message", "Details")
WHOLE = 1_000_000  # lines of context: the whole message


class BatteryView(QWidget):
    edit_requested = Signal(str, str)  # the selected row's message XML, its scenario: for the workbench editor

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.model = BatteryModel(self)

        # what to attack
        self.target = QComboBox()
        self.target.addItem("the embedded SP", EMBEDDED)
        self.target.addItem("another SP", EXTERNAL)
        self.target.setToolTip("Attack the harness's own SP, or any SP that trusts this workspace's mock IdP")
        self.subscription = QComboBox()
        self.subscription_label = plain_label("Subscription:")
        self.run_btn = QPushButton("Run the battery")
        self.run_btn.setToolTip("Send every attack scenario to the SP, each after a real AuthnRequest when it can")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.summary = plain_label("")
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(plain_label("Attack:"))
        bar.addWidget(self.target)
        bar.addWidget(self.subscription_label)
        bar.addWidget(self.subscription)
        bar.addWidget(self.run_btn)
        bar.addWidget(self.progress)
        bar.addWidget(self.summary, 1)

        # another SP: the same choices as `saml-harness battery --login-url / --sp-acs / --sp-entity-id`
        self.login_url = QLineEdit(placeholderText="https://sp.example/login: each attack answers its AuthnRequest")
        self.acs_url = QLineEdit(placeholderText="https://sp.example/saml/acs (HTTP-POST)")
        self.entity_id = QLineEdit(placeholderText="the SP's EntityID (the Audience)")
        self.session_url = QLineEdit(placeholderText="optional: a page that answers 2xx only when logged in")
        for w, name in (
            (self.login_url, "Login URL"),
            (self.acs_url, "ACS URL"),
            (self.entity_id, "SP EntityID"),
            (self.session_url, "Session URL"),
        ):
            w.setAccessibleName(name)
            w.setClearButtonEnabled(True)
            w.returnPressed.connect(self.run_btn.click)
        self.external = QWidget()
        grid = QGridLayout(self.external)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(plain_label("Login URL:"), 0, 0)
        grid.addWidget(self.login_url, 0, 1, 1, 3)
        grid.addWidget(plain_label("or ACS URL:"), 1, 0)
        grid.addWidget(self.acs_url, 1, 1)
        grid.addWidget(plain_label("SP EntityID:"), 1, 2)
        grid.addWidget(self.entity_id, 1, 3)
        grid.addWidget(plain_label("Session URL:"), 2, 0)
        grid.addWidget(self.session_url, 2, 1)
        self.trust_note = plain_label("")
        self.trust_note.setWordWrap(True)
        self.trust_note.setStyleSheet("color: #607d8b")
        grid.addWidget(self.trust_note, 2, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.external.hide()

        # the rows
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Attack scenarios")

        # the selected row
        self.diff = DiffView()
        self.message = MessageDetail(blank="Select a row above.", tabs=("Summary", "XML", "Signature"))
        self.message_note = plain_label("")
        self.message_note.setWordWrap(True)
        self.message_note.setStyleSheet("color: #607d8b")
        message_page = QWidget()
        ml = QVBoxLayout(message_page)
        ml.setContentsMargins(4, 4, 4, 0)
        note_row = QHBoxLayout()
        note_row.addWidget(self.message_note, 1)
        self.edit_btn = QPushButton("Edit and send")
        self.edit_btn.setToolTip("Open this row's message in the editor: change, re-sign and send it again")
        self.edit_btn.clicked.connect(self._edit_row)
        note_row.addWidget(self.edit_btn)
        ml.addLayout(note_row)
        ml.addWidget(self.message, 1)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Details")
        self.tabs = QTabWidget()
        for w, name in zip((self.diff, message_page, self.detail), BOTTOM_TABS, strict=True):
            self.tabs.addTab(w, name)
        self.tabs.setTabToolTip(0, "What the attacker changed: the bad message against the legitimate one")
        self.tabs.setTabToolTip(1, "The bad message decoded, its signatures checked against the trusted certificate")
        self.tabs.setTabToolTip(2, "The rule the scenario breaks, what a safe SP does, and what this SP answered")

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.setSizes([210, 440])
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "Attack battery",
                "Forged, replayed, re-signed, wrapped and malformed Responses sent to an SP. Green: refused as a "
                "safe SP must; red: accepted, crashed or followed a URL. Select a row to see what was changed.",
            )
        )
        lay.addLayout(bar)
        lay.addWidget(self.external)
        lay.addWidget(split, 1)

        self.target.currentIndexChanged.connect(lambda _i: self._target_changed())
        self.run_btn.clicked.connect(lambda: self.run())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show())
        self.diff.whole_toggled.connect(lambda _on: self._show())
        controller.bridge.battery_result.connect(self._result)
        controller.bridge.battery_finished.connect(self._finished)
        self._expected = 0
        self._legitimate: str | None = None  # the report's, for rows without their own counterpart
        self._trusted: bytes | None = None
        self._trusted_words = ""
        self._decoded: dict[int, Message] = {}
        self._running = False
        self._show()

    # -- choosing the target ---------------------------------------------------------------------

    def reload(self) -> None:
        current = self.subscription.currentData()
        self.subscription.clear()
        for s in self.controller.workspace.subscriptions():
            self.subscription.addItem(visible(f"{s.name or s.idm_key} ({s.idm_key})"), s.idm_key)
        i = self.subscription.findData(current)
        self.subscription.setCurrentIndex(max(i, 0))
        prof = self.controller.workspace.idp_profile()
        self.trust_note.setText(
            f"The SP must trust this workspace's mock IdP: EntityID {prof.entity_id}, certificate of the key "
            f"pair {prof.signing_key} (Certificates)."
        )

    def set_target(self, kind: str) -> None:
        self.target.setCurrentIndex(max(self.target.findData(kind), 0))

    def _target_changed(self) -> None:
        external = self.target.currentData() == EXTERNAL
        self.external.setVisible(external)
        self.subscription.setVisible(not external)
        self.subscription_label.setVisible(not external)
        if external:
            self.login_url.setFocus()

    def external_sp(self) -> ExternalSP:
        return ExternalSP(
            login_url=self.login_url.text().strip(),
            acs_url=self.acs_url.text().strip(),
            entity_id=self.entity_id.text().strip(),
            session_url=self.session_url.text().strip(),
        )

    # -- running -----------------------------------------------------------------------------------

    def run(self, scenarios: list | None = None) -> bool:
        from mock_idp.scenarios import CATALOGUE

        external = self.target.currentData() == EXTERNAL
        idm_key = self.subscription.currentData() or ""
        target = self.external_sp() if external else None
        if not self.controller.run_battery(idm_key, scenarios, external=target):
            self.summary.setText(f"✘ {self.controller.last_battery_error or 'The battery could not start.'}")
            self.summary.setStyleSheet("color: #c62828; font-weight: bold")
            return False
        self._trusted, self._trusted_words = self.controller.battery_trust(None if external else idm_key)
        self._expected = 1 + len(CATALOGUE if scenarios is None else scenarios)
        self._legitimate = None
        self._decoded.clear()
        self._running = True
        self.model.set_rows([])
        self.progress.setRange(0, self._expected)
        self.progress.setValue(0)
        self.progress.show()
        self.run_btn.setEnabled(False)
        self.target.setEnabled(False)
        self.summary.setText("Running…")
        self.summary.setStyleSheet("")
        self._show()
        return True

    def _result(self, r) -> None:  # harness.core.battery.Result
        if not self._running:
            return
        self.model.set_rows([*self.model.rows, r])
        self.progress.setValue(len(self.model.rows))
        if len(self.model.rows) == 1:
            self.table.resizeColumnsToContents()

    def _finished(self, report) -> None:  # Report | str
        if not self._running:
            return
        self._running = False
        self.progress.hide()
        self.run_btn.setEnabled(True)
        self.target.setEnabled(True)
        if isinstance(report, str):
            self.summary.setText(f"✘ {report}")
            self.summary.setStyleSheet("color: #c62828; font-weight: bold")
            return
        row = self.table.selectionModel().currentIndex().row()
        self._legitimate = report.legitimate_xml
        self.model.set_rows(report.results)
        self.table.resizeColumnsToContents()
        if 0 <= row < len(report.results):
            self.table.selectRow(row)
        counts = ", ".join(f"{n} {v}" for v, n in sorted(report.counts.items()))
        name = report.target.get("name") or "the SP"
        against = "" if name.startswith("embedded SP") else f" by {name}"  # the bar above names the subscription
        if report.bad:
            names = ", ".join(r.scenario for r in report.bad[:5])
            self.summary.setText(f"✘ {len(report.bad)} problem(s): {names}   ({counts}; {report.seconds:.1f} s)")
            self.summary.setStyleSheet("color: #c62828; font-weight: bold")
        else:
            self.summary.setText(f"✔ Every attack was refused{against} ({counts}; {report.seconds:.1f} s)")
            self.summary.setStyleSheet("color: #2e7d32; font-weight: bold")
        self.summary.setToolTip(plain_tip(f"Against {name}"))

    # -- the selected row ----------------------------------------------------------------------------

    def current(self):  # -> harness.core.battery.Result | None
        idx = self.table.selectionModel().currentIndex()
        return self.model.object(idx.row()) if idx.isValid() else None

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(BOTTOM_TABS.index(name))

    def _show(self) -> None:
        r = self.current()
        if r is None:
            blank = "Run the battery, then select a row." if not self.model.rows else "Select a row above."
            self.diff.set_diff(None, blank=blank)
            self.message_note.setText("")
            self.message.blank = blank
            self.message.set_message(None)
            self.detail.setHtml(f"<p style='color:#78909c'>{e(blank)}</p>")
            return
        self._show_diff(r)
        self._show_message(r)
        self._show_details(r)

    def _show_diff(self, r) -> None:  # Result
        if r.family == "baseline":
            diff: MessageDiff | None = None
            blank = "This is the legitimate message itself: the other rows are compared with their own copy of it."
        else:
            diff = result_diff(r, self._legitimate, context=WHOLE if self.diff.whole.isChecked() else 3)
            blank = no_diff_reason(r)
        self.diff.set_diff(diff, title=r.scenario, blank=blank)

    def _show_message(self, r) -> None:  # Result
        if r.xml is None:
            self.message_note.setText("")
            self.message.blank = no_diff_reason(r).replace("to compare", "to decode")
            self.message.set_message(None)
            return
        key = id(r)
        if key not in self._decoded:
            msg = inspect(r.xml, self._trusted)[0]
            if not msg.xml:  # refused by the safe parser (a DOCTYPE): shown as written, never expanded
                msg.xml = render(r.xml)[0]
            self._decoded[key] = msg
        what = "The legitimate message" if r.family == "baseline" else "The bad message"
        self.message_note.setText(f"{what} of {r.scenario}, as the SP received it; {self._trusted_words}")
        self.message.set_message(self._decoded[key], note="")

    def _show_details(self, r) -> None:  # Result
        answered = r.observed.short() + (f" → {r.observed.location}" if r.observed.location else "")
        if r.observed.session:
            answered += f"; a session opened{f' for {r.observed.login}' if r.observed.login else ''}"
        rows = [
            ("Scenario", f"{r.scenario} ({r.family})"),
            ("The message", r.summary),
            ("The rule it breaks", r.rule),
            ("A safe SP", r.safe_sp),
            ("The SP answered", answered),
            ("Verdict", r.verdict + (f" — {r.note}" if r.note else "")),
        ]
        self.detail.setHtml(
            "<table cellpadding='3'>"
            + "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in rows)
            + "</table>"
        )

    def _edit_row(self) -> None:
        r = self.current()
        if r is not None and r.xml:
            self.edit_requested.emit(r.xml, r.scenario)
