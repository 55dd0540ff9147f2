"""The step-by-step view: outcome banner, sequence diagram and step list in sync, step-through
control, and the detail tabs of the selected hop."""

from __future__ import annotations

from urllib.parse import urlencode

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from harness.core.trace import Step
from harness.gui.history import HistoryEntry
from harness.gui.models.steps import StepListModel
from harness.gui.plain import plain_label
from harness.gui.views.html import tidy
from harness.gui.views.message_detail import MessageDetail
from harness.gui.views.sequence_diagram import LaneHeader, SequenceDiagram
from sp.contract import SIGNATURE_REASONS

PLAY_INTERVAL_MS = 1400
BANNER = {
    "ok": ("#1b5e20", "#e8f5e9"),
    "refused": ("#b71c1c", "#ffebee"),
    "error": ("#4a148c", "#f3e5f5"),
    "info": ("#37474f", "#eceff1"),
}


def focus_step(steps: list[Step]) -> int:
    """The row to show first: the first failure, else the SP's decision, else the first hop."""
    for i, s in enumerate(steps):
        if s.verdict in ("refused", "error"):
            return i
    for i, s in enumerate(steps):
        if s.checks:
            return i
    return 0 if steps else -1


def tab_for(step: Step) -> str:
    if step.verdict in ("refused", "error"):
        if step.code in SIGNATURE_REASONS:
            return "Signature"
        return "Checks" if step.checks else "Summary"
    return "Summary"


class TracePage(QWidget):
    step_selected = Signal(object)  # Step | None
    inspect_requested = Signal(str)  # the message as it travelled, for the inspector
    edit_requested = Signal(object)  # the Step whose message goes to the workbench editor

    def __init__(self, export_actions: list[QAction] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.entry: HistoryEntry | None = None
        self.model = StepListModel(self)
        self.selection = QItemSelectionModel(self.model, self)

        self.banner = plain_label("No run yet. Choose a flow, a subscription and a user above, then Run (Ctrl+R).")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_btn = QToolButton(text="Export")
        self.export_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_btn)
        for a in export_actions or []:
            menu.addAction(a)
        self.export_btn.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(self.banner, 1)
        top.addWidget(self.export_btn, 0, Qt.AlignmentFlag.AlignTop)
        self._set_banner("info", self.banner.text())

        self.diagram = SequenceDiagram(self.model, self.selection)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.diagram)
        self.scroll.setMinimumWidth(420)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.lane_header = LaneHeader(self.diagram)
        diagram_box = QFrame()
        diagram_box.setFrameShape(QFrame.Shape.StyledPanel)
        dl = QVBoxLayout(diagram_box)
        dl.setContentsMargins(1, 1, 1, 1)
        dl.setSpacing(0)
        dl.addWidget(self.lane_header)
        dl.addWidget(self.scroll, 1)

        self.list = QTableView()
        self.list.setModel(self.model)
        self.list.setSelectionModel(self.selection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.verticalHeader().setDefaultSectionSize(24)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setAccessibleName("Steps")
        h = self.list.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        h.setStretchLastSection(True)
        self.list.setColumnWidth(2, 170)

        self.first_btn = QPushButton("|◀ First")
        self.prev_btn = QPushButton("◀ Back")
        self.play_btn = QPushButton("▶ Play")
        self.next_btn = QPushButton("Next ▶")
        self.last_btn = QPushButton("Last ▶|")
        self.inspect_btn = QPushButton("Inspect")
        self.edit_btn = QPushButton("Edit and send")
        tips = {
            self.first_btn: "First step (Home)",
            self.prev_btn: "Previous step (Alt+Left)",
            self.play_btn: "Play the flow one hop at a time",
            self.next_btn: "Next step (Alt+Right); in step mode, reveals the next hop",
            self.last_btn: "Last step (reveals all)",
            self.inspect_btn: "Open this hop's SAML message in the inspector",
            self.edit_btn: "Open this hop's SAML message in the editor: change, re-sign and send it again",
        }
        for b, tip in tips.items():
            b.setToolTip(tip)
            b.setAutoDefault(False)
        self.position = plain_label("")
        self.explain = plain_label("")
        self.explain.setWordWrap(True)
        self.explain.setStyleSheet("color: #455a64")
        bar = QHBoxLayout()
        for b in (self.first_btn, self.prev_btn, self.play_btn, self.next_btn, self.last_btn):
            bar.addWidget(b)
        bar.addWidget(self.position)
        bar.addWidget(self.explain, 1)
        bar.addWidget(self.inspect_btn)
        bar.addWidget(self.edit_btn)

        self.heading = plain_label("")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: bold")
        self.detail = MessageDetail()

        hsplit = QSplitter(Qt.Orientation.Horizontal)
        hsplit.addWidget(diagram_box)
        hsplit.addWidget(self.list)
        hsplit.setStretchFactor(0, 3)
        hsplit.setStretchFactor(1, 2)
        hsplit.setSizes([620, 400])
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addWidget(hsplit, 1)
        ul.addLayout(bar)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.detail, 1)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(upper)
        vsplit.addWidget(lower)
        vsplit.setSizes([400, 280])
        self.splitter = vsplit
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(vsplit)

        self.timer = QTimer(self)
        self.timer.setInterval(PLAY_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.first_btn.clicked.connect(lambda: self.go(0))
        self.prev_btn.clicked.connect(self.prev)
        self.next_btn.clicked.connect(self.next)
        self.last_btn.clicked.connect(self.last)
        self.play_btn.clicked.connect(self.toggle_play)
        self.inspect_btn.clicked.connect(self._inspect)
        self.edit_btn.clicked.connect(lambda: self.current_step() and self.edit_requested.emit(self.current_step()))
        self.selection.currentChanged.connect(self._current_changed)
        self.model.visible_changed.connect(lambda *_: (self._update_bar(), self.refresh_banner()))
        self.detail.clear()
        self._update_bar()

    # -- what is shown --------------------------------------------------------------------------

    def _set_banner(self, level: str, text: str) -> None:
        fg, bg = BANNER.get(level, BANNER["info"])
        self.banner.setText(text)
        self.banner.setStyleSheet(
            f"QLabel {{ color: {fg}; background: {bg}; border-left: 4px solid {fg}; padding: 6px; font-weight: bold }}"
        )
        self.banner.setProperty("level", level)

    def refresh_banner(self) -> None:
        if self.entry is None:
            return
        shown, total = self.model.rowCount(), self.model.total
        if self.model.visible is not None and not self.entry.running and shown < total:
            # Step mode tells the story hop by hop: the outcome waits for the last hop.
            text = f"Step mode: hop {shown} of {total}. The outcome shows at the last hop (Next, or Last)."
            self._set_banner("info", f"{self.entry.trace.title}\n{text}")
            return
        level, text = self.entry.outcome()
        self._set_banner(level, f"{self.entry.trace.title}\n{text}")

    def show_entry(self, entry: HistoryEntry | None) -> None:
        self.stop_play()
        self.entry = entry
        if entry is None:
            self.model.set_steps([])
            self.detail.clear()
            return
        visible = None
        if entry.step_mode:
            visible = 0 if entry.running else 1
        self.model.set_steps(entry.trace.steps, visible)
        self.refresh_banner()
        if not entry.running:
            self._focus_default()
        self._update_bar()

    def _focus_default(self) -> None:
        if self.entry is None:
            return
        if self.entry.step_mode and self.model.visible is not None:
            self.go(0)
            return
        row = focus_step(self.model.rows)
        if row >= 0:
            self.go(row)
            step = self.model.step(row)
            if step is not None:
                self.detail.show_tab(tab_for(step))

    def on_step(self, run_id: str, step: Step) -> None:
        if self.entry is None or self.entry.run_id != run_id:
            return
        self.model.append(step)
        self.refresh_banner()
        if self.model.visible is None:
            self.go(self.model.rowCount() - 1)  # follow the flow as it happens

    def on_finished(self, entry: HistoryEntry) -> None:
        if self.entry is None or self.entry.run_id != entry.run_id:
            return
        self.show_entry(entry)

    # -- selection and stepping ---------------------------------------------------------------------

    def current_step(self) -> Step | None:
        idx = self.selection.currentIndex()
        return self.model.step(idx.row()) if idx.isValid() else None

    def go(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.diagram.select_row(row)
            self.list.scrollTo(self.model.index(row, 0))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        step = self.model.step(current.row()) if current.isValid() else None
        self.detail.set_step(step, self.entry.trace if self.entry else None)
        self.heading.setText("" if step is None else f"{step.index}. {step.label}")
        if step is not None:
            for a in self.diagram.arrows():
                if a.row == current.row():
                    self.scroll.ensureVisible(0, int(a.bottom), 0, 20)
                    self.scroll.ensureVisible(0, int(a.top), 0, 20)
        self._update_bar()
        self.step_selected.emit(step)

    def next(self) -> bool:
        """One hop on; in step mode, reveal the next hop. False at the end."""
        row = self.selection.currentIndex().row()
        if row + 1 < self.model.rowCount():
            self.go(row + 1)
            return True
        if self.model.visible is not None and self.model.rowCount() < self.model.total:
            self.model.set_visible(self.model.rowCount() + 1)
            self.go(self.model.rowCount() - 1)
            if self.model.visible is None:
                self._on_all_revealed()
            return True
        return False

    def _on_all_revealed(self) -> None:
        if self.entry is not None:
            self.entry.step_mode = False
        step = self.current_step()
        if step is not None:
            self.detail.show_tab(tab_for(step))

    def prev(self) -> None:
        row = self.selection.currentIndex().row()
        self.go(max(row - 1, 0))

    def last(self) -> None:
        if self.model.visible is not None:
            self.model.set_visible(None)
            self._on_all_revealed()
        self.go(self.model.rowCount() - 1)

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.stop_play()
            return
        if self.model.rowCount() == 0 and self.model.total == 0:
            return
        if self.selection.currentIndex().row() >= self.model.total - 1:
            if self.model.visible is None:
                self.model.set_visible(1)  # replay from the start
                if self.entry is not None:
                    self.entry.step_mode = True
            self.go(0)
        self.timer.start()
        self.play_btn.setText("⏸ Pause")

    def stop_play(self) -> None:
        self.timer.stop()
        self.play_btn.setText("▶ Play")

    def _tick(self) -> None:
        if not self.next():
            self.stop_play()

    def _update_bar(self) -> None:
        row = self.selection.currentIndex().row()
        total = self.model.total
        shown = self.model.rowCount()
        step = self.current_step()
        if total == 0:
            self.position.setText("")
            self.explain.setText("")
        else:
            hidden = f" ({total - shown} to reveal)" if shown < total else ""
            self.position.setText(f"Step {row + 1 if row >= 0 else '-'} of {total}{hidden}")
            self.explain.setText(tidy(step.explanation) if step is not None else "")
        self.first_btn.setEnabled(shown > 0)
        self.prev_btn.setEnabled(row > 0)
        self.next_btn.setEnabled(row + 1 < shown or shown < total)
        self.last_btn.setEnabled(total > 0)
        self.play_btn.setEnabled(total > 0)
        self.inspect_btn.setEnabled(step is not None and step.message is not None and bool(step.message.raw))
        self.edit_btn.setEnabled(self.inspect_btn.isEnabled())

    def _inspect(self) -> None:
        step = self.current_step()
        if step is not None and step.message is not None and step.message.raw:
            msg = step.message
            self.inspect_requested.emit(urlencode({msg.param: msg.raw}) if msg.param else msg.raw)
