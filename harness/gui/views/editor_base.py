"""A table with a form beneath, the shape every editor takes (UI.md: nothing floats)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from harness.gui.models.base import RowsModel
from harness.gui.plain import escape, plain_label, rich_label
from harness.gui.views.forms import Form


def title_label(text: str, hint: str = "") -> QLabel:
    label = rich_label(
        f"<span style='font-size: 15pt; font-weight: bold'>{escape(text)}</span>"
        + (f"<br><span style='color:#607d8b'>{escape(hint)}</span>" if hint else "")
    )
    label.setWordWrap(True)
    return label


def error_label() -> QLabel:
    label = plain_label("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828; font-weight: bold")
    label.hide()
    return label


def show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class FormGrid(QWidget):
    """Two columns of label/field pairs, to fit 1280x800 without scrolling."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.grid.setHorizontalSpacing(10)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(3, 1)
        self._pos = [0, 0]

    def add(self, label: str, widget: QWidget, column: int = 0, span: int = 1) -> None:
        row = max(self._pos) if span > 1 else self._pos[column]  # a wide row goes below both columns
        lab = plain_label(label)
        lab.setBuddy(widget)
        self.grid.addWidget(lab, row, column * 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.grid.addWidget(widget, row, column * 2 + 1, 1, 1 if span == 1 else 3)
        self._pos[column] += 1
        if span > 1:
            self._pos = [row + 1, row + 1]

    def add_wide(self, widget: QWidget) -> None:
        row = max(self._pos)
        self.grid.addWidget(widget, row, 0, 1, 4)
        self._pos = [row + 1, row + 1]


class TableWithForm(QWidget):
    """Subclasses fill `self.grid` with fields of `self.form` and implement load/commit."""

    def __init__(
        self,
        model: RowsModel,
        *,
        add: str = "Add",
        item: str = "item",
        arrange: bool = True,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.model = model
        self.item = item
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.add_btn = QPushButton(add)
        self.dup_btn = QPushButton("Duplicate")
        self.del_btn = QPushButton("Delete")
        self.add_btn.setToolTip(f"Add a {item}")
        self.dup_btn.setToolTip(f"Copy the selected {item}")
        self.del_btn.setToolTip(f"Delete the selected {item} (Edit ▸ Undo brings it back)")
        self.buttons = QHBoxLayout()
        for b in (self.add_btn, self.dup_btn, self.del_btn):
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)
        self.form = Form(self)
        self.grid = FormGrid()
        self.box = QGroupBox(f"Selected {item}")
        bl = QVBoxLayout(self.box)
        bl.setContentsMargins(4, 4, 4, 4)
        self.error = error_label()
        bl.addWidget(self.error)
        bl.addWidget(self.grid)
        bl.addStretch(1)
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.form_area.setWidget(self.box)
        if arrange:  # else the page places buttons, table and form_area itself
            self.splitter = QSplitter(Qt.Orientation.Vertical)
            top = QWidget()
            tl = QVBoxLayout(top)
            tl.setContentsMargins(0, 0, 0, 0)
            tl.addLayout(self.buttons)
            tl.addWidget(self.table, 1)
            self.splitter.addWidget(top)
            self.splitter.addWidget(self.form_area)
            self.splitter.setSizes([260, 300])
            lay = QVBoxLayout(self)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(self.splitter)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.form.committed.connect(self._committed)
        self.add_btn.clicked.connect(self.add)
        self.dup_btn.clicked.connect(self.duplicate)
        self.del_btn.clicked.connect(self.delete)
        self._want: Callable[[Any], bool] | None = None
        self._update_enabled()

    # -- selection ----------------------------------------------------------------------------------

    def selected(self) -> Any | None:
        idx = self.table.selectionModel().currentIndex()
        return self.model.object(idx.row()) if idx.isValid() else None

    def select(self, pred: Callable[[Any], bool]) -> bool:
        row = self.model.find(pred)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def set_rows(self, rows: list[Any], keep: Callable[[Any], bool] | None = None) -> None:
        """Reload the table, keeping (or moving to) the selection."""
        want = self._want or keep
        if want is None:
            cur = self.selected()
            want = (lambda o, cur=cur: self.same(o, cur)) if cur is not None else None
        self._want = None
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        for c in range(self.model.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c) + 12, 320))
        if not (want and self.select(want)) and rows:
            self.select(lambda o: o is rows[0])
        if not rows:
            self.load(None)
        self._update_enabled()

    def same(self, a: Any, b: Any) -> bool:
        return a == b

    def _row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        show_error(self.error, "")
        self.load(self.model.object(current.row()) if current.isValid() else None)
        self._update_enabled()

    def _update_enabled(self) -> None:
        has = self.selected() is not None
        self.dup_btn.setEnabled(has)
        self.del_btn.setEnabled(has)
        self.form.set_enabled(has)

    def _committed(self, field: str) -> None:
        obj = self.selected()
        if obj is None:
            return
        try:
            values = self.form.values()
        except ValueError as err:
            show_error(self.error, str(err))
            return
        show_error(self.error, "")
        self.commit(obj, values, field)

    def want(self, pred: Callable[[Any], bool]) -> None:
        """Select the object matching `pred` at the next reload."""
        self._want = pred

    # -- for subclasses --------------------------------------------------------------------------------

    def load(self, obj: Any | None) -> None:
        raise NotImplementedError

    def commit(self, obj: Any, values: dict, field: str) -> None:
        raise NotImplementedError

    def add(self) -> None:
        raise NotImplementedError

    def duplicate(self) -> None:
        raise NotImplementedError

    def delete(self) -> None:
        raise NotImplementedError


def form_layout() -> QFormLayout:
    f = QFormLayout()
    f.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return f
