"""The test procedure tab: the guide's checklist against the mock IdP (demo, with a pace or step
by step with Next) or with the system browser (interactive), each step marked with its reason and
the side to fix; the HTML onboarding report can be saved. The run is a Task that reports through
the Bridge (`checklist_step`, `checklist_trace_step`, `checklist_finished`, `checklist_failed`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from harness.core.checklist import (
    FAIL,
    ORDER,
    PASS,
    TITLES,
    ChecklistReport,
    CheckStep,
    run_demo,
    run_interactive,
)
from harness.core.onboarding_report import write_report
from harness.core.terminal import visible
from harness.core.trace import Step, Trace
from harness.core.workspace import Workspace
from harness.gui.errors import in_words
from harness.gui.plain import plain_label
from harness.gui.views.onboarding.common import COLORS, MARKS, servers_for_run

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class ChecklistPanel(QWidget):
    """Run the guide's test procedure and show each step's verdict as it is decided."""

    finished = Signal(object)  # ChecklistReport

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.report: ChecklistReport | None = None
        self._busy = False
        self._next = threading.Event()  # the worker's pacing: "Next" and "Stop" cut a wait short
        self._stop = threading.Event()
        bridge = controller.bridge
        bridge.checklist_step.connect(self._show_step)
        bridge.checklist_trace_step.connect(self._show_trace)
        bridge.checklist_finished.connect(self._done)
        bridge.checklist_failed.connect(self._failed)
        self._make_widgets()
        self._lay_out()
        self.run_button.clicked.connect(self.start)
        self.next_button.clicked.connect(self._next.set)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._pick_report_path)
        self.interactive.toggled.connect(lambda on: self.user.setEnabled(not on))
        self.refresh()
        self._reset_rows()
        self._running(False)

    @property
    def workspace(self) -> Workspace:
        return self.controller.workspace

    def _make_widgets(self) -> None:
        self.subscription = QComboBox()
        self.user = QComboBox()
        self.account = QLineEdit()
        self.account.setPlaceholderText("expected SP account (optional)")
        self.interactive = QCheckBox("Real browser (interactive)")
        self.pace = QDoubleSpinBox()
        self.pace.setRange(0, 30)
        self.pace.setSingleStep(0.5)
        self.pace.setSuffix(" s between steps")
        self.step_through = QCheckBox("Wait for Next")
        self.run_button = QPushButton("Run the test procedure")
        self.next_button = QPushButton("Next")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save report…")
        self.steps = QTableWidget(len(ORDER), 3)
        self.steps.setHorizontalHeaderLabels(["", "Step", "What the harness saw / what to fix"])
        self.steps.verticalHeader().setVisible(False)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.steps.setColumnWidth(1, 320)
        self.steps.setWordWrap(True)
        self.trace = QListWidget()
        self.verdict = plain_label()
        self.verdict.setWordWrap(True)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        for label, w in (("Subscription", self.subscription), ("IdP user", self.user)):
            top.addWidget(plain_label(label))
            top.addWidget(w)
        top.addWidget(self.account, 1)
        controls = QHBoxLayout()
        for w in (
            self.interactive,
            self.pace,
            self.step_through,
            self.run_button,
            self.next_button,
            self.stop_button,
            self.save_button,
        ):
            controls.addWidget(w)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(self.steps, 3)
        layout.addWidget(plain_label("Trace"))
        layout.addWidget(self.trace, 2)
        layout.addWidget(self.verdict)

    def refresh(self) -> None:
        """Reload the subscription and user lists from the workspace."""
        keep_sub, keep_user = self.subscription.currentData(), self.user.currentData()
        self.subscription.clear()
        for s in self.workspace.subscriptions():
            self.subscription.addItem(visible(f"{s.name or s.idm_key} ({s.idm_key})"), s.idm_key)
        self.user.clear()
        for u in self.workspace.users():
            self.user.addItem(visible(u.username), u.username)
        if keep_sub is not None and (i := self.subscription.findData(keep_sub)) >= 0:
            self.subscription.setCurrentIndex(i)
        if keep_user and (i := self.user.findData(keep_user)) >= 0:
            self.user.setCurrentIndex(i)

    def select(self, idm_key: str, user: str | None = None) -> None:
        self.refresh()
        self.subscription.setCurrentIndex(max(0, self.subscription.findData(idm_key)))
        if user is not None:
            self.user.setCurrentIndex(max(0, self.user.findData(user)))

    def _reset_rows(self) -> None:
        for row, key in enumerate(ORDER):
            self._set_row(row, "pending", TITLES[key], "")
        self.trace.clear()
        self.verdict.clear()

    def _set_row(self, row: int, status: str, title: str, text: str) -> None:
        for col, value in enumerate((MARKS.get(status, "?"), title, text)):
            item = QTableWidgetItem(value)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item.setForeground(QBrush(QColor(COLORS.get(status, "#263238"))))
            self.steps.setItem(row, col, item)

    def row_texts(self) -> list[tuple[str, str, str]]:
        return [tuple(self.steps.item(r, c).text() for c in range(3)) for r in range(self.steps.rowCount())]

    def _running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.next_button.setEnabled(on)
        self.save_button.setEnabled(not on and self.report is not None)

    @property
    def busy(self) -> bool:
        return self._busy

    def start(self) -> None:
        if self.busy:
            return
        idm_key = self.subscription.currentData()
        if idm_key is None:
            self.verdict.setText("The workspace has no subscription: create one in the Questionnaire tab.")
            return
        user, account = self.user.currentData(), self.account.text().strip() or None
        interactive, pace, step_through = self.interactive.isChecked(), self.pace.value(), self.step_through.isChecked()
        self._reset_rows()
        self.report = None
        self._next.clear()
        self._stop.clear()
        self._running(True)
        self._busy = True
        work = self._work(idm_key, user, account, interactive, pace, step_through)
        bridge = self.controller.bridge
        self.controller.tasks.start(
            work,
            done=bridge.checklist_finished.emit,
            failed=lambda err: bridge.checklist_failed.emit(f"The test procedure stopped: {in_words(err)}"),
        )

    def _work(
        self, idm_key: str, user: str, account: str | None, interactive: bool, pace: float, step_through: bool
    ) -> Callable[[], ChecklistReport]:
        """The run, as a task: it reports only through the Bridge's signals."""
        controller, bridge, stop, nxt = self.controller, self.controller.bridge, self._stop, self._next

        def wait(seconds: float) -> None:
            if stop.is_set():
                return
            nxt.wait(None if step_through else seconds)
            nxt.clear()

        def on_check(_report: ChecklistReport, step: CheckStep) -> None:
            bridge.checklist_step.emit(replace(step, evidence=list(step.evidence)))

        def on_trace(_trace: Trace, step: Step) -> None:
            bridge.checklist_trace_step.emit(step)

        def work() -> ChecklistReport:
            servers, own = servers_for_run(controller)
            try:
                if interactive:
                    return run_interactive(
                        servers, idm_key=idm_key, account=account, on_check=on_check, on_trace=on_trace, cancel=stop
                    )
                return run_demo(
                    servers,
                    idm_key=idm_key,
                    username=user,
                    account=account,
                    pace=pace if pace > 0 else (1.0 if step_through else 0.0),
                    wait=wait,
                    on_check=on_check,
                    on_trace=on_trace,
                )
            finally:
                if own:
                    servers.stop()

        return work

    def stop(self) -> None:
        self._stop.set()
        self._next.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop()
        if self._busy:
            self.controller.tasks.wait(int(timeout * 1000))

    def _show_step(self, step: CheckStep) -> None:
        row = ORDER.index(step.key)
        text = step.reason + (f"\nFix on the {step.side} side: {step.fix}" if step.status == FAIL and step.fix else "")
        self._set_row(row, step.status, step.title, text)
        self.steps.resizeRowToContents(row)

    def _show_trace(self, step: Step) -> None:
        item = QListWidgetItem(
            f"{step.index}. {step.src} → {step.dst}  {step.label}  [{step.status}]"
            + (f"  {step.code}" if step.code and step.verdict != "ok" else "")
        )
        if step.verdict in ("refused", "error"):
            item.setForeground(QBrush(QColor(COLORS[FAIL])))
        elif step.verdict == "ok":
            item.setForeground(QBrush(QColor(COLORS[PASS])))
        self.trace.addItem(item)

    def _done(self, report: ChecklistReport) -> None:
        self._busy = False
        self.report = report
        for s in report.steps:
            self._show_step(s)
        level = PASS if report.passed else FAIL
        self.verdict.setText(report.verdict)
        self.verdict.setStyleSheet(f"color: {COLORS[level]}; font-weight: bold")
        self._running(False)
        self.finished.emit(report)

    def _failed(self, text: str) -> None:
        self._busy = False
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {COLORS[FAIL]}")
        self._running(False)

    def save_report(self, path: str | Path) -> Path | None:
        if self.report is None:
            return None
        return write_report(self.report, Path(path))

    def _pick_report_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the onboarding report", "onboarding-report.html", "HTML (*.html)"
        )
        if path:
            self.save_report(path)
