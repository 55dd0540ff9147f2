"""An editable XML pane: syntax highlighted, validated as the tester types (well-formedness and the
safe parser's rules), the error shown inline under the text and its line marked."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from harness.core.terminal import visible
from harness.core.workbench.validate import Problem, check
from harness.gui.plain import plain_label
from harness.gui.views.xml_view import XmlHighlighter
from samlkit import codec

ERROR_BG = QColor("#ffcdd2")
VALIDATE_DELAY_MS = 300
HIGHLIGHT_LIMIT = 256 * 1024  # characters: larger texts are not highlighted (~1 s per 200 kB line)
MAX_CHARS = codec.MAX_MESSAGE_BYTES + 64 * 1024  # past the SP's limit a message is refused anyway


class _Edit(QPlainTextEdit):
    """Refuses a paste or drop that would take the text past MAX_CHARS (saying so), and stops
    highlighting before a large text goes in."""

    def __init__(self, owner: XmlEditor):
        super().__init__()
        self.owner = owner

    def insertFromMimeData(self, source) -> None:
        text = source.text() if source.hasText() else ""
        size = len(self.toPlainText()) - len(self.textCursor().selectedText()) + len(text)
        if size > MAX_CHARS:
            self.owner.refuse(
                f"Not pasted: the text would be {size:,} characters, over the {MAX_CHARS:,} an "
                "editable message may have (the SP refuses messages over 4 MiB anyway)."
            )
            return
        self.owner.highlight(size <= HIGHLIGHT_LIMIT)
        super().insertFromMimeData(source)


class XmlEditor(QWidget):
    """`text_edited` fires (debounced) after the tester changes the text, never after `set_text`."""

    text_edited = Signal(str)
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = _Edit(self)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Raw messages are one long line: word-boundary wrapping lays out a line without spaces in
        # quadratic time (500 kB of base64: 13 s), wrapping anywhere in linear time (4 MB: 3 s).
        self.edit.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.edit.setAccessibleName("Message XML")
        self.edit.setPlaceholderText(
            "The message's XML. Open one with “Edit and send” from a trace step, the "
            "inspector or a battery row, or paste one here."
        )
        self.highlighter = XmlHighlighter(self.edit.document())
        self.status = plain_label("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName("XML validation")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.status)
        self.problem: Problem | None = None
        self._setting = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self._changed)
        self.edit.textChanged.connect(self._typed)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the text (an edit from the form or a transform): validated, but not echoed back."""
        if len(text) > MAX_CHARS:
            self.refuse(f"Not opened: the message is {len(text):,} characters, over {MAX_CHARS:,}.")
            return
        self._setting = True
        try:
            self.highlight(len(text) <= HIGHLIGHT_LIMIT)
            bar = self.edit.verticalScrollBar().value()
            self.edit.setPlainText(text)
            self.edit.verticalScrollBar().setValue(bar)
        finally:
            self._setting = False
        self._timer.stop()
        self.validate()

    def highlight(self, on: bool) -> None:
        want = self.edit.document() if on else None
        if self.highlighter.document() is not want:
            self.highlighter.setDocument(want)

    def refuse(self, why: str) -> None:
        """Say why a text was not taken; the text in the editor stays as it was."""
        self.status.setText(f"✘ {why}")
        self.status.setStyleSheet("color: #c62828; font-weight: bold")

    def _typed(self) -> None:
        if not self._setting:
            self._timer.start()

    def _changed(self) -> None:
        self.validate()
        self.text_edited.emit(self.text())

    def flush(self) -> None:
        """Run a pending validation now (before a send)."""
        if self._timer.isActive():
            self._timer.stop()
            self._changed()

    def validate(self) -> bool:
        text = self.text()
        self.problem = check(text) if text.strip() else Problem("Empty: paste or open a message.")
        ok = self.problem is None
        if ok:
            self.status.setText("✔ Well-formed, and passes the SP's safe-parser rules.")
            self.status.setStyleSheet("color: #2e7d32")
            self.edit.setExtraSelections([])
        else:
            where = f"line {self.problem.line}: " if self.problem.line else ""
            self.status.setText(f"✘ {where}{_printable(self.problem.message)}")
            self.status.setStyleSheet("color: #c62828; font-weight: bold")
            self._mark(self.problem.line)
        self.validity_changed.emit(ok)
        return ok

    def _mark(self, line: int) -> None:
        if line <= 0:
            self.edit.setExtraSelections([])
            return
        sel = QTextEdit.ExtraSelection()
        sel.cursor = QTextCursor(self.edit.document().findBlockByNumber(line - 1))
        sel.format.setBackground(ERROR_BG)
        sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        self.edit.setExtraSelections([sel])


def _printable(text: str) -> str:
    return visible(text, keep_lines=False)
