"""The main window's actions and menus: built once, each action calling a window method."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from harness.gui.views.dialogs import show_message

PAGE_TITLES = {
    "flow": "Flow",
    "users": "IdP users",
    "subscriptions": "SP subscriptions",
    "matrix": "User/account matrix",
    "certs": "Certificates",
    "idp": "IdP settings",
    "inspector": "Inspector",
    "battery": "Attack battery",
    "onboarding": "Onboarding",
    "workbench": "Edit and send",
}


class MenuActions:
    """Mixin for MainWindow: the QActions (act_*), the menu bar and the help texts."""
    # -- actions and menus ------------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        return act

    def _build_actions(self) -> None:
        self.act_new = self._action("&New workspace…", self.new_workspace, QKeySequence.StandardKey.New)
        self.act_new_demo = self._action("New &demo workspace…", lambda: self.new_workspace(demo=True))
        self.act_open = self._action("&Open workspace…", self.open_workspace, QKeySequence.StandardKey.Open)
        self.act_save_as = self._action("Save workspace &as…", self.save_workspace_as, QKeySequence.StandardKey.SaveAs)
        self.act_open_trace = self._action("Open &trace…", self.open_trace, "Ctrl+Shift+O")
        self.act_save_trace = self._action("&Save trace (JSON)…", self.save_trace, QKeySequence.StandardKey.Save)
        self.act_report = self._action("Export HTML &report…", self.export_report, "Ctrl+E")
        self.act_import_capture = self._action(
            "&Import browser capture (HAR, SAML-tracer)…", self.import_capture, "Ctrl+I",
            "Every SAML message a real browser saw, checked against the chosen subscription")
        self.act_export_har = self._action("Export trace as &HAR…", self.export_har)
        self.act_export_png = self._action("Export diagram as &PNG…", lambda: self.export_diagram("png"))
        self.act_export_svg = self._action("Export diagram as S&VG…", lambda: self.export_diagram("svg"))
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_run = self._action("&Run", lambda: self.run(*self.flow_bar.choice()), "Ctrl+R")
        self.act_step = self._action("&Step", lambda: self.step(*self.flow_bar.choice()), "F8")
        self.act_browser = self._action(
            "Open in &browser", lambda: self.open_in_browser(*self.flow_bar.choice()), "Ctrl+B"
        )
        self.act_stop_capture = self._action("Stop &recording the browser", self.controller_stop_capture)
        self.act_next = self._action("&Next step", lambda: self.trace_page.next(), "Alt+Right")
        self.act_prev = self._action("&Previous step", lambda: self.trace_page.prev(), "Alt+Left")
        self.act_play = self._action("&Play / pause", lambda: self.trace_page.toggle_play(), "Ctrl+P")
        self.act_restart = self._action("Restart the &servers", lambda: self.controller.restart_servers())

        m = self.menuBar().addMenu("&File")
        for a in (self.act_new, self.act_new_demo, self.act_open):
            m.addAction(a)
        self.recent_menu = QMenu("Recent &workspaces", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addMenu(self.recent_menu)
        m.addAction(self.act_save_as)
        m.addSeparator()
        for a in (self.act_open_trace, self.act_import_capture, self.act_save_trace, self.act_report,
                  self.act_export_har, self.act_export_png, self.act_export_svg):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)

        m = self.menuBar().addMenu("&Edit")
        self.act_undo = self.controller.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = self.controller.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QKeySequence.StandardKey.Redo)
        m.addAction(self.act_undo)
        m.addAction(self.act_redo)

        m = self.menuBar().addMenu("F&low")
        for a in (self.act_run, self.act_step, self.act_browser, self.act_stop_capture):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_prev, self.act_next, self.act_play):
            m.addAction(a)

        m = self.menuBar().addMenu("&Tools")
        for n, (page, title) in enumerate(PAGE_TITLES.items(), 1):
            m.addAction(self._action(title, lambda p=page: self.show_page(p), f"Ctrl+{n}" if n < 10 else None))
        m.addSeparator()
        m.addAction(self.act_restart)

        m = self.menuBar().addMenu("&Help")
        m.addAction(self._action("&Keyboard shortcuts", self._shortcuts, QKeySequence.StandardKey.HelpContents))
        m.addAction(self._action("&About", self._about))
        self.act_stop_capture.setEnabled(False)

    def shortcuts_text(self) -> str:
        """Made from the pages themselves, so a new page is never missing from the help."""
        pages = "\n".join(f"  Ctrl+{n}  {title}" for n, title in enumerate(PAGE_TITLES.values(), 1))
        return (
            "Ctrl+R run · F8 step (again: next hop) · Ctrl+B open in browser · Alt+Left/Right previous/next "
            "step · Ctrl+P play/pause · Ctrl+F search the XML · Ctrl+Z/Ctrl+Shift+Z undo/redo "
            f"· Ctrl+S save trace · Ctrl+E HTML report\n\nPages:\n{pages}"
        )

    def _shortcuts(self) -> None:
        show_message(self, "info", self.shortcuts_text(), "Keyboard shortcuts")

    def _about(self) -> None:
        show_message(
            self,
            "info",
            "SAML harness: a vendor-style SP and a mock IdP on loopback, every message decoded and checked.",
            "About",
        )
