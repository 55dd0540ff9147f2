"""A unified diff of two messages: + lines green, − lines red, @@ hunk heads grey, monospace,
with a one-line summary of what changed above it (`harness.core.message_diff`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from harness.core.message_diff import ADDED, HEADER, HUNK, REMOVED, MessageDiff
from harness.core.terminal import html_text as e
from harness.gui.plain import plain_tip, rich_label
from harness.gui.views.highlight_guard import GuardedHighlighter

FOREGROUND = {ADDED: "#1b5e20", REMOVED: "#b71c1c", HUNK: "#78909c", HEADER: "#37474f"}
BACKGROUND = {ADDED: "#e8f5e9", REMOVED: "#ffebee", HUNK: "#f5f7f8"}


class DiffHighlighter(GuardedHighlighter):  # setFormat leaks None refs in PySide6 6.12
    """Colours each line by its kind (the kinds come with the diff, not guessed from the text)."""

    def __init__(self, document):  # QTextDocument
        super().__init__(document)
        self.kinds: list[str] = []
        self._formats = {}
        for kind, color in FOREGROUND.items():
            f = QTextCharFormat()
            f.setForeground(QColor(color))
            if kind in (HEADER, HUNK):
                f.setFontWeight(QFont.Weight.Bold)
            self._formats[kind] = f

    def highlightBlock(self, text: str) -> None:
        n = self.currentBlock().blockNumber()
        fmt = self._formats.get(self.kinds[n]) if n < len(self.kinds) else None
        if fmt is not None:
            self.setFormat(0, len(text), fmt)


class DiffView(QWidget):
    whole_toggled = Signal(bool)  # the tester wants the whole message, not 3 lines around each change

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = rich_label("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAccessibleName("What changed")
        self.whole = QCheckBox("Whole message")
        self.whole.setToolTip("Show every line of the message, not only three lines around each change")
        self.whole.toggled.connect(self.whole_toggled)
        self.edit = QPlainTextEdit(readOnly=True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setAccessibleName("Diff")
        self.highlighter = DiffHighlighter(self.edit.document())
        self.diff: MessageDiff | None = None
        self.plain = ""  # the summary line as plain text (for tests and screen readers)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.whole, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.edit, 1)

    def set_diff(self, diff: MessageDiff | None, *, title: str = "", blank: str = "") -> None:
        """Show `diff` (None: `blank` says why there is none)."""
        self.diff = diff
        head = f"<b>{e(title)}</b> — " if title else ""
        if diff is None:
            self.plain = f"{title} — {blank}" if title else blank
            self.summary.setAccessibleDescription(self.plain)
            self.summary.setToolTip("")
            self.summary.setText(f"{head}<span style='color:#78909c'>{e(blank)}</span>")
            self._set_lines([], [])
            return
        self.plain = f"{title} — {diff.summary}" if title else diff.summary
        self.summary.setAccessibleDescription(self.plain)
        color = "#2e7d32" if diff.identical else "#263238"
        notes = "".join(f"<br><span style='color:#78909c'>({e(n)})</span>" for n in diff.notes)
        self.summary.setText(f"{head}<span style='color:{color}'>{e(diff.summary)}</span>{notes}")
        self.summary.setToolTip(plain_tip("\n".join(f"• {c}" for c in diff.changes)))
        self._set_lines([line.kind for line in diff.lines], [line.text for line in diff.lines])

    def _set_lines(self, kinds: list[str], texts: list[str]) -> None:
        self.highlighter.kinds = kinds
        self.edit.setPlainText("\n".join(texts))
        doc = self.edit.document()
        extra = []
        for i, kind in enumerate(kinds):
            bg = BACKGROUND.get(kind)
            if bg is None:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.cursor = QTextCursor(doc.findBlockByNumber(i))
            sel.format.setBackground(QColor(bg))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            extra.append(sel)
        self.edit.setExtraSelections(extra)
        self.edit.moveCursor(QTextCursor.MoveOperation.Start)

    def text(self) -> str:
        return self.edit.toPlainText()
