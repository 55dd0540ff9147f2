"""The XML tab: pretty-printed, syntax-highlighted, searchable, with the signed parts marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeySequence,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from harness.core.report import signature_ok
from harness.core.trace import Message
from harness.gui.plain import plain_label
from harness.gui.views.highlight_guard import GuardedHighlighter

SIGNED_BG = {True: QColor("#e8f5e9"), False: QColor("#ffebee"), None: QColor("#eceff1")}
SIGNATURE_BG = QColor("#ede7f6")
MATCH_BG = QColor("#fff176")
CURRENT_BG = QColor("#ffb74d")


def _fmt(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    if italic:
        f.setFontItalic(True)
    return f


class XmlHighlighter(GuardedHighlighter):  # setFormat leaks None refs in PySide6 6.12
    RULES = [
        (r"<\?[^>]*\?>", _fmt("#9e9e9e")),
        (r"</?[A-Za-z_][\w.:-]*", _fmt("#1565c0", bold=True)),
        (r"/?>", _fmt("#1565c0", bold=True)),
        (r"\s[A-Za-z_][\w.:-]*(?==)", _fmt("#6a1b9a")),
        (r"\"[^\"]*\"|'[^']*'", _fmt("#2e7d32")),
    ]

    def __init__(self, document: QTextDocument):
        super().__init__(document)
        self._rules = [(QRegularExpression(p), f) for p, f in self.RULES]
        self._comment = _fmt("#9e9e9e", italic=True)
        self._ds = _fmt("#8e24aa", bold=True)
        self._ds_re = QRegularExpression(r"</?ds:[\w.-]+")

    def highlightBlock(self, text: str) -> None:
        for rx, fmt in self._rules:
            it = rx.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)
        it = self._ds_re.globalMatch(text)
        while it.hasNext():
            m = it.next()
            self.setFormat(m.capturedStart(), m.capturedLength(), self._ds)
        # comments, possibly over several lines
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == 1 else text.find("<!--")
        while start >= 0:
            end = text.find("-->", start)
            if end < 0:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, self._comment)
                break
            self.setFormat(start, end + 3 - start, self._comment)
            start = text.find("<!--", end + 3)


@dataclass
class SignedRange:
    first: int  # line numbers, 0-based, inclusive
    last: int
    ok: bool | None
    what: str
    signature: bool = False  # the ds:Signature block itself


_START = re.compile(r"^(\s*)<([\w.-]+:)?([\w.-]+)\b")


def _element_range(lines: list[str], start: int) -> int:
    """The line of the end tag matching the start tag on `start` (pretty-printed XML)."""
    m = _START.match(lines[start])
    if m is None:
        return start
    if lines[start].rstrip().endswith("/>") or re.search(r"</[\w.:-]+>\s*$", lines[start]):
        return start
    indent, name = m.group(1), (m.group(2) or "") + m.group(3)
    close = f"{indent}</{name}>"
    for i in range(start + 1, len(lines)):
        if lines[i].rstrip() == close:
            return i
    return start


def signed_ranges(msg: Message) -> list[SignedRange]:
    """Line ranges of the elements each signature covers, and of the signatures themselves."""
    lines = msg.xml.splitlines()
    out: list[SignedRange] = []
    for sig in msg.signatures:
        if not sig.element_id:
            continue
        pattern = re.compile(r"\b(ID|Id|AssertionID)=\"" + re.escape(sig.element_id) + '"')
        for i, line in enumerate(lines):
            if _START.match(line) and pattern.search(line):
                last = _element_range(lines, i)
                out.append(SignedRange(i, last, signature_ok(sig), f"{sig.element} #{sig.element_id}"))
                for j in range(i + 1, last + 1):  # the ds:Signature directly inside it
                    m = _START.match(lines[j])
                    if m and m.group(3) == "Signature" and len(m.group(1)) == len(_START.match(line).group(1)) + 2:
                        out.append(SignedRange(j, _element_range(lines, j), None, "Signature", signature=True))
                        break
                break
    return out


class XmlView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QPlainTextEdit(readOnly=True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setAccessibleName("XML")
        self.highlighter = XmlHighlighter(self.edit.document())
        self.search = QLineEdit(placeholderText="Search the XML (Ctrl+F)…", clearButtonEnabled=True)
        self.prev_btn = QPushButton("◀")
        self.next_btn = QPushButton("▶")
        for b, tip in ((self.prev_btn, "Previous match (Shift+Enter)"), (self.next_btn, "Next match (Enter)")):
            b.setToolTip(tip)
            b.setFixedWidth(32)
        self.count = plain_label("")
        self.legend = plain_label("")
        self.legend.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.prev_btn)
        bar.addWidget(self.next_btn)
        bar.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.legend)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.find_next)
        self.next_btn.clicked.connect(self.find_next)
        self.prev_btn.clicked.connect(self.find_prev)
        QShortcut(QKeySequence("Shift+Return"), self.search, self.find_prev)
        QShortcut(
            QKeySequence.StandardKey.Find,
            self,
            self.focus_search,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self._signed: list[QTextEdit.ExtraSelection] = []
        self._matches: list[QTextCursor] = []
        self._current = -1
        self.ranges: list[SignedRange] = []

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def set_message(self, msg: Message | None) -> None:
        self.edit.setPlainText(msg.xml if msg is not None else "")
        self.ranges = signed_ranges(msg) if msg is not None and msg.xml else []
        self._signed = []
        doc = self.edit.document()
        for r in self.ranges:
            bg = SIGNATURE_BG if r.signature else SIGNED_BG[r.ok]
            for line in range(r.first, r.last + 1):
                sel = QTextEdit.ExtraSelection()
                sel.cursor = QTextCursor(doc.findBlockByNumber(line))
                sel.format.setBackground(bg)
                sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                self._signed.append(sel)
        parts = []
        for r in self.ranges:
            if r.signature:
                continue
            state = {True: "signed, verifies", False: "signed, does NOT verify", None: "signed, not checked"}[r.ok]
            parts.append(f"lines {r.first + 1}–{r.last + 1}: {r.what} ({state})")
        if parts:
            self.legend.setText(
                "Signed parts — green: verifies with the trusted certificate, red: fails, grey: not checked; "
                "violet: the ds:Signature.  " + ";  ".join(parts)
            )
        elif msg is not None and msg.xml:
            self.legend.setText("Nothing in this message is signed.")
        else:
            self.legend.setText("")
        self._search_changed(self.search.text())

    def _apply(self) -> None:
        extra = list(self._signed)
        for i, cur in enumerate(self._matches):
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cur
            sel.format.setBackground(CURRENT_BG if i == self._current else MATCH_BG)
            extra.append(sel)
        self.edit.setExtraSelections(extra)

    def _search_changed(self, text: str) -> None:
        self._matches, self._current = [], -1
        if text:
            doc = self.edit.document()
            cur = doc.find(text, 0)
            while not cur.isNull() and len(self._matches) < 5000:
                self._matches.append(cur)
                cur = doc.find(text, cur)
        self.count.setText(f"{len(self._matches)} found" if text else "")
        self._apply()
        if self._matches:
            self._go(0)

    def _go(self, i: int) -> None:
        if not self._matches:
            return
        self._current = i % len(self._matches)
        cur = QTextCursor(self._matches[self._current])
        self.edit.setTextCursor(cur)
        self.edit.ensureCursorVisible()
        self.count.setText(f"{self._current + 1} of {len(self._matches)}")
        self._apply()

    def find_next(self) -> None:
        self._go(self._current + 1)

    def find_prev(self) -> None:
        self._go(self._current - 1)
