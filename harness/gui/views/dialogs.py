"""Small dialogs and the one way errors are shown: in words, never a traceback."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from harness.gui.plain import form_row, plain_message_box


def show_message(parent: QWidget | None, level: str, text: str, title: str = "SAML harness") -> QMessageBox:
    """A window-modal message that does not block the event loop (flows keep running)."""
    icon = {"error": QMessageBox.Icon.Critical, "warning": QMessageBox.Icon.Warning}.get(
        level, QMessageBox.Icon.Information
    )
    box = plain_message_box(parent, icon, title, text)
    box.setObjectName("harness-message")
    box.open()
    return box


class MakeKeyPairDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, suggested: str = "idp-new"):
        super().__init__(parent)
        self.setWindowTitle("Make a key pair")
        self.name = QLineEdit(suggested)
        self.cn = QLineEdit("Demo Corp IdP (new)")
        self.kind = QComboBox()
        self.kind.addItem("RSA 2048", "rsa")
        self.kind.addItem("EC P-256", "ec")
        self.days = QSpinBox()
        self.days.setRange(1, 36500)
        self.days.setValue(730)
        self.days.setSuffix(" days")
        self.expired = QCheckBox("Already expired (to test how the SP treats it)")
        form = QFormLayout(self)
        form_row(form, "Key pair &name", self.name)
        form_row(form, "&Common name", self.cn)
        form_row(form, "&Key", self.kind)
        form_row(form, "&Valid for", self.days)
        form_row(form, "", self.expired)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        return {
            "name": self.name.text().strip(),
            "common_name": self.cn.text().strip(),
            "kind": self.kind.currentData(),
            "days": self.days.value(),
            "expired": self.expired.isChecked(),
        }
