"""Text widgets that never interpret what they show.

Qt renders a label, a tooltip or a message box as rich text when the text merely looks like HTML
(`Qt.AutoText`). Issuers, RelayStates, request paths, SP headers and trace titles are hostile:
shown that way, `<b>`, `<a href>` and `<img src=file:///...>` would draw a fake "✔ Signature
verifies", links and local images. Every label in the app is made here: `plain_label` for text,
`rich_label` only for markup the app writes itself with every value passed through `escape`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QMessageBox, QWidget

from harness.core.terminal import html_text as escape
from harness.core.terminal import visible

__all__ = ["escape", "form_row", "plain_label", "plain_message_box", "plain_tip", "rich_label"]


class PlainLabel(QLabel):
    """Plain text, and no character that could reorder or hide it (bidi overrides, zero-width
    and control characters are shown as escapes, as in the terminal)."""

    def setText(self, text: str) -> None:
        super().setText(visible(text))


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows `text` literally, whatever it contains."""
    label = PlainLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def form_row(form: QFormLayout, text: str, field: QWidget) -> QLabel:
    """`form.addRow(text, field)`, whose own label would be AutoText, with a plain one."""
    label = plain_label(text)
    label.setBuddy(field)
    form.addRow(label, field)
    return label


def rich_label(markup: str = "", parent: QWidget | None = None) -> QLabel:
    """A label for the app's own markup; any value from elsewhere in it must go through `escape`."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(False)
    label.setText(markup)
    return label


def plain_tip(text: str) -> str:
    """A tooltip that shows `text` literally (Qt would guess rich text from a leading tag)."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + escape(text) + "</p>"


def plain_message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    """A message box whose text is shown literally."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(visible(text))
    return box
