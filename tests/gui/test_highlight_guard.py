"""Highlighting a large one-line message must not kill the app (PySide6 6.12's setFormat drops a
reference to None per call: unguarded, this test aborts the interpreter with "none_dealloc")."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QPlainTextEdit

from harness.gui.views.diff_view import DiffHighlighter
from harness.gui.views.xml_view import XmlHighlighter


def test_highlighting_a_large_message_keeps_none_alive(qtbot) -> None:
    edit = QPlainTextEdit()
    qtbot.addWidget(edit)
    highlighter = XmlHighlighter(edit.document())
    before = sys.getrefcount(None)
    edit.setPlainText('<saml:Attribute Name="a">' * 12_000)  # ~36,000 setFormat calls
    assert highlighter.document() is edit.document()
    assert sys.getrefcount(None) >= before - 1000  # not tens of thousands lost
    DiffHighlighter(edit.document())
    edit.setPlainText("+" + "<a>" * 20_000)
    assert sys.getrefcount(None) >= before - 1000
