"""The structured side of the editor: one line per field that matters, kept in sync with the XML.

Every value comes from a message, so it is shown in plain line edits (never rich text). A field
the tester finishes editing is reported with `field_edited`; the page writes it into the XML.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from harness.core.workbench.fields import BY_KEY, RELAY_STATE, VALUE_SEPARATOR
from harness.gui.plain import plain_label

TIME_TIP = "An xs:dateTime in UTC, e.g. 2026-01-31T12:00:00Z"


class FieldsForm(QWidget):
    field_edited = Signal(str, str)  # key, value

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self._keys: list[str] = []
        self.inner = QWidget()
        self.form = QFormLayout(self.inner)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.inner)
        self.new_name = QLineEdit(placeholderText="attribute name")
        self.new_value = QLineEdit(placeholderText=f"values, separated by “{VALUE_SEPARATOR.strip()}”")
        self.add_btn = QPushButton("Add attribute")
        self.add_btn.clicked.connect(self._add_attribute)
        add = QHBoxLayout()
        add.addWidget(self.new_name)
        add.addWidget(self.new_value, 1)
        add.addWidget(self.add_btn)
        self.empty = plain_label("No message open.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(scroll, 1)
        lay.addLayout(add)

    def set_values(self, values: dict[str, str] | None, relay_state: str | None) -> None:
        """Show `values` (None: the XML does not parse; the form keeps its last good values, disabled)."""
        self.inner.setEnabled(values is not None)
        self.add_btn.setEnabled(values is not None)
        if values is None:
            self.empty.setText("The XML does not parse: fix it on the left, and the form follows.")
            self.empty.show()
            return
        self.empty.hide()
        values = {**values, RELAY_STATE: relay_state or ""}
        keys = list(values)
        if keys != self._keys:
            self._rebuild(keys)
        for key, value in values.items():
            edit = self.edits[key]
            if edit.text() != value and not edit.hasFocus():
                edit.setText(value)
                edit.setCursorPosition(0)

    def _rebuild(self, keys: list[str]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.edits = {}
        for key in keys:
            edit = QLineEdit()
            edit.setAccessibleName(key)
            field = BY_KEY.get(key)
            if key == RELAY_STATE:
                label = "RelayState"
            elif key.startswith("attr."):
                label = f"Attribute {key[5:]}"
                edit.setToolTip(f"Values separated by “{VALUE_SEPARATOR.strip()}”; empty removes the attribute")
            else:
                label = field.label if field else key
                if field is not None and field.time:
                    edit.setToolTip(TIME_TIP)
            edit.editingFinished.connect(lambda k=key, e=edit: self._finished(k, e))
            name = plain_label(label)
            name.setTextFormat(Qt.TextFormat.PlainText)
            self.form.addRow(name, edit)
            self.edits[key] = edit
        self._keys = keys

    def _finished(self, key: str, edit: QLineEdit) -> None:
        if edit.isModified():
            edit.setModified(False)
            self.field_edited.emit(key, edit.text())

    def _add_attribute(self) -> None:
        name = self.new_name.text().strip()
        if name:
            self.field_edited.emit(f"attr.{name}", self.new_value.text())
            self.new_name.clear()
            self.new_value.clear()
