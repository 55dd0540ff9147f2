"""The user/account matrix shows names and explanations literally: a subscription or user name with a
bidi override or an escape sequence is shown as escapes, never reordering the header or the cells."""

from __future__ import annotations

from PySide6.QtCore import Qt

from harness.core.flow import Expectation
from harness.gui.models.matrix import MatrixModel

EVIL = "Evil\u202eX\x1b[31m"


def test_headers_and_cells_show_control_and_direction_characters_as_escapes(qtbot) -> None:
    model = MatrixModel()
    cell = Expectation("user-not-found", [], f"matches no account in subscription {EVIL}")
    model.set_matrix([f"u{EVIL}"], [("5000", EVIL)], {(f"u{EVIL}", "5000"): cell})
    model.set_actual(f"u{EVIL}", "5000", False, f"refused {EVIL}")
    shown = [
        model.headerData(0, Qt.Orientation.Horizontal),
        model.headerData(0, Qt.Orientation.Vertical),
        model.data(model.index(0, 0)),
    ]
    for text in shown:
        assert "\u202e" not in text and "\x1b" not in text, text
        assert "Evil\\u202eX\\x1b[31m" in text
