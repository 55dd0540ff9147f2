"""The user/account matrix: which SP account(s) each IdP user would map to, and why, before any flow."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QPushButton, QTableView, QVBoxLayout, QWidget

from harness.gui.controller import AppController
from harness.gui.models.matrix import MatrixModel
from harness.gui.plain import escape, rich_label
from harness.gui.trust import trust_report
from harness.gui.views.editor_base import title_label


class MatrixView(QWidget):
    run_one = Signal(str, str, str)  # kind, idm_key, username

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.model = MatrixModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.why = rich_label("Select a cell to see why.")
        self.why.setWordWrap(True)
        self.kind = QComboBox()
        self.kind.addItem("SP-initiated", "sp")
        self.kind.addItem("IdP-initiated", "idp")
        self.run_all = QPushButton("Run every user")
        self.run_all.setToolTip("Run a login for each user and subscription, and mark where the result differs")
        self.refresh_btn = QPushButton("Refresh")
        bar = QHBoxLayout()
        bar.addWidget(self.kind)
        bar.addWidget(self.run_all)
        bar.addWidget(self.refresh_btn)
        bar.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "User/account matrix",
                "For each IdP user (rows) and subscription (columns): the SP account it would map to, computed "
                "with the SP's own mapping code from the workspace. Double-click a cell to run that login.",
            )
        )
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.why)
        self.table.selectionModel().currentChanged.connect(self._explain)
        self.table.doubleClicked.connect(self._run_cell)
        self.run_all.clicked.connect(self._run_all)
        self.refresh_btn.clicked.connect(self.reload)
        controller.bridge.batch_progress.connect(self._progress)
        controller.bridge.batch_finished.connect(lambda _s: self.run_all.setEnabled(True))

    def reload(self) -> None:
        ws = self.controller.workspace
        users = [u.username for u in ws.users()]
        subs = [(s.idm_key, s.name) for s in ws.subscriptions()]
        cells = {}
        for u in users:
            for key, _ in subs:
                e = self.controller.expectation(key, u)
                if e is not None:
                    cells[(u, key)] = e
        self.model.set_matrix(users, subs, cells)
        self.table.resizeRowsToContents()
        problems = [t.message for t in trust_report(ws) if not t.ok]
        if self.controller.servers is None:
            self.why.setText("The servers are not running yet: the matrix fills once they are up.")
        elif problems:
            self.why.setText("⚠ The mapping above assumes the Response is accepted, but: " + " ".join(problems))
            self.why.setStyleSheet("color: #e65100")
        else:
            self.why.setText("Select a cell to see why; double-click it to run that login.")
            self.why.setStyleSheet("")

    def _explain(self, index: QModelIndex, _prev: QModelIndex | None = None) -> None:
        k = self.model.key(index)
        e = self.model.cells.get(k) if k else None
        if e is None:
            self.why.setText("")
            return
        actual = self.model.actual.get(k)
        text = f"<b>{escape(k[0])}</b> at subscription <b>{escape(k[1])}</b>: {escape(e.explanation)}"
        if actual is not None:
            text += f"<br>Last run: {'as predicted' if actual[0] else 'NOT as predicted'} ({escape(actual[1])})"
        self.why.setText(text)

    def _run_cell(self, index: QModelIndex) -> None:
        k = self.model.key(index)
        if k is not None:
            self.run_one.emit(self.kind.currentData(), k[1], k[0])

    def _run_all(self) -> None:
        pairs = [(u, key) for u in self.model.users for key, _ in self.model.subs]
        if pairs and self.controller.run_batch(self.kind.currentData(), pairs):
            self.model.clear_actual()
            self.run_all.setEnabled(False)

    def _progress(self, item: dict) -> None:
        r = item["result"]
        what = f"session as {r.session_login}" if r.session_login else (r.final_reason or f"HTTP {r.final_status}")
        self.model.set_actual(item["user"], item["idm_key"], bool(r.as_expected), what)
        if self.table.currentIndex().isValid():
            self._explain(self.table.currentIndex())

    def cell(self, username: str, idm_key: str) -> str:
        row = self.model.users.index(username)
        col = [k for k, _ in self.model.subs].index(idm_key)
        return self.model.data(self.model.index(row, col), Qt.ItemDataRole.DisplayRole)
