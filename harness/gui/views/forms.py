"""Forms beneath the editor tables: each field commits on its own (Enter, focus out, a click).

`Form.committed` fires after the tester changes one field; the editor then builds the new object
from `values()` and saves it at once. Loading values never fires it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget


def parse_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def format_list(values: list[str]) -> str:
    return ", ".join(values)


def parse_dict(text: str) -> dict[str, Any]:
    """'employeeNumber=E1002; costCenter=a|b' -> {'employeeNumber': 'E1002', 'costCenter': ['a', 'b']}."""
    out: dict[str, Any] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{part.strip()!r} is not name=value")
        value = value.strip()
        out[key.strip()] = [v.strip() for v in value.split("|")] if "|" in value else value
    return out


def format_dict(d: dict[str, Any]) -> str:
    return "; ".join(f"{k}={'|'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in d.items())


class Form(QObject):
    committed = Signal(str)  # the field's name

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.fields: dict[str, tuple[QWidget, str]] = {}
        self._loading = False

    def _commit(self, name: str) -> None:
        if not self._loading:
            self.committed.emit(name)

    def line(self, name: str, placeholder: str = "", kind: str = "text", tip: str = "") -> QLineEdit:
        w = QLineEdit(placeholderText=placeholder)
        w.setObjectName(name)
        if tip:
            w.setToolTip(tip)
        w.editingFinished.connect(lambda: self._commit(name) if w.isModified() else None)
        w.editingFinished.connect(lambda: w.setModified(False))
        self.fields[name] = (w, kind)
        return w

    def check(self, name: str, text: str, tip: str = "") -> QCheckBox:
        w = QCheckBox(text)
        w.setObjectName(name)
        if tip:
            w.setToolTip(tip)
        w.toggled.connect(lambda _on: self._commit(name))
        self.fields[name] = (w, "bool")
        return w

    def combo(self, name: str, choices: list[tuple[str, Any]], *, editable: bool = False, tip: str = "") -> QComboBox:
        w = QComboBox()
        w.setObjectName(name)
        if tip:
            w.setToolTip(tip)
        self.set_choices(w, choices)
        if editable:
            w.setEditable(True)
            w.lineEdit().editingFinished.connect(lambda: self._commit(name))
        else:
            w.activated.connect(lambda _i: self._commit(name))
        self.fields[name] = (w, "editable" if editable else "choice")
        return w

    @staticmethod
    def set_choices(w: QComboBox, choices: list[tuple[str, Any]]) -> None:
        current = w.currentData()
        w.blockSignals(True)
        w.clear()
        for label, value in choices:
            w.addItem(label, value)
        i = w.findData(current)
        if i >= 0:
            w.setCurrentIndex(i)
        w.blockSignals(False)

    def spin(self, name: str, lo: int, hi: int, suffix: str = "", tip: str = "") -> QSpinBox:
        w = QSpinBox()
        w.setObjectName(name)
        w.setRange(lo, hi)
        w.setSuffix(suffix)
        w.setKeyboardTracking(False)
        if tip:
            w.setToolTip(tip)
        w.valueChanged.connect(lambda _v: self._commit(name))
        self.fields[name] = (w, "int")
        return w

    def widget(self, name: str) -> QWidget:
        return self.fields[name][0]

    def set_values(self, values: dict[str, Any]) -> None:
        self._loading = True
        try:
            for name, value in values.items():
                if name not in self.fields:
                    continue
                w, kind = self.fields[name]
                if kind in ("text", "list", "dict"):
                    text = format_list(value) if kind == "list" else format_dict(value) if kind == "dict" else value
                    w.setText(text or "")
                    w.setModified(False)
                    w.setCursorPosition(0)
                elif kind == "bool":
                    w.setChecked(bool(value))
                elif kind == "int":
                    w.setValue(int(value or 0))
                elif kind == "choice":
                    i = w.findData(value)
                    if i < 0:
                        w.addItem(str(value), value)
                        i = w.count() - 1
                    w.setCurrentIndex(i)
                elif kind == "editable":
                    i = w.findData(value)
                    if i >= 0:
                        w.setCurrentIndex(i)
                    else:
                        w.setEditText(str(value or ""))
        finally:
            self._loading = False

    def values(self) -> dict[str, Any]:
        """Raises ValueError with a plain message when a field cannot be read."""
        out: dict[str, Any] = {}
        for name, (w, kind) in self.fields.items():
            if kind == "text":
                out[name] = w.text().strip()
            elif kind == "list":
                out[name] = parse_list(w.text())
            elif kind == "dict":
                try:
                    out[name] = parse_dict(w.text())
                except ValueError as err:
                    raise ValueError(f"{name.replace('_', ' ')}: {err}") from None
            elif kind == "bool":
                out[name] = w.isChecked()
            elif kind == "int":
                out[name] = w.value()
            elif kind == "choice":
                out[name] = w.currentData()
            elif kind == "editable":
                i = w.findText(w.currentText())
                out[name] = w.itemData(i) if i >= 0 and w.itemData(i) is not None else w.currentText().strip()
        return out

    def set_enabled(self, on: bool) -> None:
        for w, _ in self.fields.values():
            w.setEnabled(on)
