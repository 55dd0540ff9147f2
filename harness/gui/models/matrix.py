"""The user/account matrix: for each IdP user and subscription, the account(s) it would map to and why."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from harness.core.flow import Expectation
from harness.core.terminal import visible
from harness.gui.models.base import Index, ObjectRole
from harness.gui.plain import plain_tip
from sp.contract import SESSION

BG = {"session": "#e8f5e9", "picker": "#e3f2fd", "unknown": "#eeeeee"}
REFUSED_BG = "#ffebee"


def cell_text(e: Expectation | None) -> str:
    if e is None:
        return ""
    if e.outcome == SESSION:
        return f"→ {e.logins[0]}" if e.logins else "→ session"
    if e.outcome == "picker":
        return "picker: " + " | ".join(e.logins)
    if e.outcome == "unknown":
        return "?"
    return f"✘ {e.outcome}"


class MatrixModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.users: list[str] = []
        self.subs: list[tuple[str, str]] = []  # (idm_key, name)
        self.cells: dict[tuple[str, str], Expectation] = {}
        self.actual: dict[tuple[str, str], tuple[bool, str]] = {}  # (as predicted?, what happened)

    def set_matrix(self, users: list[str], subs: list[tuple[str, str]], cells: dict) -> None:
        self.beginResetModel()
        self.users, self.subs, self.cells = list(users), list(subs), dict(cells)
        self.actual = {k: v for k, v in self.actual.items() if k in self.cells}
        self.endResetModel()

    def set_actual(self, username: str, idm_key: str, ok: bool, what: str) -> None:
        self.actual[(username, idm_key)] = (ok, what)
        if username in self.users and idm_key in [k for k, _ in self.subs]:
            idx = self.index(self.users.index(username), [k for k, _ in self.subs].index(idm_key))
            self.dataChanged.emit(idx, idx)

    def clear_actual(self) -> None:
        self.beginResetModel()
        self.actual = {}
        self.endResetModel()

    def key(self, index: Index) -> tuple[str, str] | None:
        if not index.isValid():
            return None
        return self.users[index.row()], self.subs[index.column()][0]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.users)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.subs)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            key, name = self.subs[section]
            return visible(f"{name} ({key})" if name else key)  # no bidi override reorders the header
        return visible(self.users[section])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        k = self.key(index)
        if k is None:
            return None
        e = self.cells.get(k)
        actual = self.actual.get(k)
        if role == ObjectRole:
            return e
        if role == Qt.ItemDataRole.DisplayRole:
            text = cell_text(e)
            if e is not None and e.explanation:
                text += f"   ({e.explanation})"
            if actual is not None:
                text += "   ✔ ran as predicted" if actual[0] else f"   ✘ ran: {actual[1]}"
            return visible(text)
        if role == Qt.ItemDataRole.ToolTipRole and e is not None:
            tip = e.explanation
            if actual is not None:
                tip += f"\nLast run: {actual[1]}"
            return plain_tip(tip)
        if role == Qt.ItemDataRole.BackgroundRole and e is not None:
            if actual is not None and not actual[0]:
                return QColor("#ffcdd2")
            return QColor(BG.get(e.outcome, REFUSED_BG))
        return None
