"""The attack battery against the embedded SP: each bad message, what the SP answered, and whether
that is what a safe SP does."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from harness.gui.controller import AppController
from harness.gui.models.battery import BatteryModel
from harness.gui.views.editor_base import title_label


class BatteryView(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.model = BatteryModel(self)
        self.subscription = QComboBox()
        self.run_btn = QPushButton("Run the battery")
        self.run_btn.setToolTip("Send every attack scenario to the embedded SP, each after a real AuthnRequest")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Subscription:"))
        bar.addWidget(self.subscription)
        bar.addWidget(self.run_btn)
        bar.addWidget(self.progress)
        bar.addWidget(self.summary, 1)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.detail = QTextBrowser()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([420, 160])
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "Attack battery",
                "Forged, replayed, re-signed, wrapped and malformed Responses sent to the embedded SP. Green: "
                "refused as a safe SP must; red: accepted, crashed or followed a URL.",
            )
        )
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.run_btn.clicked.connect(lambda: self.run())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show())
        controller.bridge.battery_result.connect(self._result)
        controller.bridge.battery_finished.connect(self._finished)
        self._expected = 0

    def reload(self) -> None:
        current = self.subscription.currentData()
        self.subscription.clear()
        for s in self.controller.workspace.subscriptions():
            self.subscription.addItem(f"{s.name or s.idm_key} ({s.idm_key})", s.idm_key)
        i = self.subscription.findData(current)
        self.subscription.setCurrentIndex(max(i, 0))

    def run(self, scenarios: list | None = None) -> bool:
        from mock_idp.scenarios import CATALOGUE

        if not self.controller.run_battery(self.subscription.currentData() or "", scenarios):
            return False
        self._expected = 1 + len(CATALOGUE if scenarios is None else scenarios)
        self.model.set_rows([])
        self.progress.setRange(0, self._expected)
        self.progress.setValue(0)
        self.progress.show()
        self.run_btn.setEnabled(False)
        self.summary.setText("Running…")
        self.summary.setStyleSheet("")
        return True

    def _result(self, r) -> None:  # noqa: ANN001 - harness.core.battery.Result
        self.model.set_rows([*self.model.rows, r])
        self.progress.setValue(len(self.model.rows))
        if len(self.model.rows) == 1:
            self.table.resizeColumnsToContents()

    def _finished(self, report) -> None:  # noqa: ANN001 - Report | str
        self.progress.hide()
        self.run_btn.setEnabled(True)
        if isinstance(report, str):
            self.summary.setText(f"✘ {report}")
            self.summary.setStyleSheet("color: #c62828; font-weight: bold")
            return
        self.model.set_rows(report.results)
        self.table.resizeColumnsToContents()
        counts = ", ".join(f"{n} {v}" for v, n in sorted(report.counts.items()))
        if report.bad:
            names = ", ".join(r.scenario for r in report.bad[:5])
            self.summary.setText(f"✘ {len(report.bad)} problem(s): {names}   ({counts}; {report.seconds:.1f} s)")
            self.summary.setStyleSheet("color: #c62828; font-weight: bold")
        else:
            self.summary.setText(f"✔ Every attack was refused ({counts}; {report.seconds:.1f} s)")
            self.summary.setStyleSheet("color: #2e7d32; font-weight: bold")

    def _show(self) -> None:
        idx = self.table.selectionModel().currentIndex()
        r = self.model.object(idx.row()) if idx.isValid() else None
        if r is None:
            self.detail.clear()
            return
        from html import escape as e

        rows = [
            ("Scenario", f"{r.scenario} ({r.family})"),
            ("The message", r.summary),
            ("The rule it breaks", r.rule),
            ("A safe SP", r.safe_sp),
            ("The SP answered", r.observed.short() + (f" → {r.observed.location}" if r.observed.location else "")),
            ("Verdict", r.verdict + (f" — {r.note}" if r.note else "")),
        ]
        self.detail.setHtml(
            "<table cellpadding='3'>"
            + "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in rows)
            + "</table>"
        )
