"""The real main window on a temp copy of the demo workspace, servers on free ports, offscreen."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import pytest
from PySide6.QtCore import QSettings, Qt

from harness.core.workspace import Workspace

FLOW_TIMEOUT_MS = 20_000


@pytest.fixture
def opened_urls() -> list[str]:
    return []


@pytest.fixture
def window(qtbot, tmp_path, opened_urls):
    from harness.gui.views.main_window import MainWindow

    ws = Workspace.demo(tmp_path / "ws")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(ws, sp_port=0, idp_port=0, settings=settings, open_url=opened_urls.append)
    w.show_dialogs = False  # errors are still recorded in w.messages / w.last_error
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.controller.servers is not None, timeout=FLOW_TIMEOUT_MS)
    yield w
    w.close()


class Tester:
    """What a tester does with the window: click, type, run."""

    def __init__(self, qtbot, window):
        self.qtbot, self.w = qtbot, window

    def run(self, kind: str, idm_key: str, username: str, *, button: str = "run"):
        """Choose in the flow bar, click the button, wait for the run to end; returns its history entry."""
        w = self.w
        w.flow_bar.set_choice(kind, idm_key, username)
        btn = {"run": w.flow_bar.run_btn, "step": w.flow_bar.step_btn}[button]
        with self.qtbot.waitSignal(w.bridge.flow_finished, timeout=FLOW_TIMEOUT_MS):
            self.qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not w.controller.busy, timeout=FLOW_TIMEOUT_MS)
        return w.trace_page.entry

    def open(self, target) -> None:
        """Click an item of the workspace tree."""
        tree = self.w.tree
        idx = tree.find(target)
        assert idx.isValid(), target
        tree.scrollTo(idx)
        self.qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualRect(idx).center())

    def click(self, button) -> None:
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def type(self, line_edit, text: str) -> None:
        """Replace a field's text and press Enter (which saves it)."""
        line_edit.setFocus()
        line_edit.selectAll()
        self.qtbot.keyClick(line_edit, Qt.Key.Key_Backspace)
        self.qtbot.keyClicks(line_edit, text)
        self.qtbot.keyClick(line_edit, Qt.Key.Key_Return)


@pytest.fixture
def tester(qtbot, window) -> Tester:
    return Tester(qtbot, window)
