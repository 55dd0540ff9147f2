"""A table model over a list of plain objects, with columns declared as functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from harness.core.terminal import visible
from harness.gui.plain import plain_tip

ObjectRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


@dataclass
class Column:
    title: str
    text: Callable[[Any], str]
    color: Callable[[Any], str | None] | None = None  # foreground
    background: Callable[[Any], str | None] | None = None
    tooltip: Callable[[Any], str] | None = None
    center: bool = False


class RowsModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def object(self, row: int) -> Any | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def find(self, pred: Callable[[Any], bool]) -> int:
        for i, obj in enumerate(self.rows):
            if pred(obj):
                return i
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        obj = self.rows[index.row()]
        col = self.columns[index.column()]
        if role == ObjectRole:
            return obj
        if role == Qt.ItemDataRole.DisplayRole:
            return visible(col.text(obj))  # no bidi override or control character reorders a cell
        if role == Qt.ItemDataRole.ForegroundRole and col.color is not None:
            c = col.color(obj)
            return QColor(c) if c else None
        if role == Qt.ItemDataRole.BackgroundRole and col.background is not None:
            c = col.background(obj)
            return QColor(c) if c else None
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return plain_tip(col.tooltip(obj))
        if role == Qt.ItemDataRole.TextAlignmentRole and col.center:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None
