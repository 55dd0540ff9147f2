"""The main window: flow bar on top, workspace tree on the left, pages on the right, servers below."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from harness.core.flow import FlowResult
from harness.core.servers import Servers
from harness.core.trace import Step
from harness.core.workspace import Workspace
from harness.gui.bridge import Bridge
from harness.gui.controller import AppController
from harness.gui.history import HistoryEntry
from harness.gui.models.workspace_tree import Target
from harness.gui.trust import trust_report
from harness.gui.views.battery_view import BatteryView
from harness.gui.views.certs_view import CertificatesView
from harness.gui.views.dialogs import show_message
from harness.gui.views.flow_bar import FlowBar
from harness.gui.views.idp_settings_editor import IdPSettingsEditor
from harness.gui.views.inspector_view import InspectorView
from harness.gui.views.matrix_view import MatrixView
from harness.gui.views.onboarding import OnboardingView
from harness.gui.views.status import ServerStatus
from harness.gui.views.subscriptions_editor import SubscriptionsEditor
from harness.gui.views.trace_page import TracePage
from harness.gui.views.users_editor import UsersEditor
from harness.gui.views.workbench_view import WorkbenchPage
from harness.gui.views.workspace_tree import WorkspaceTree

MAX_RECENT = 8
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


class MainWindow(QMainWindow):
    def __init__(
        self,
        workspace: Workspace,
        *,
        sp_port: int | None = None,
        idp_port: int | None = None,
        settings: QSettings | None = None,
        open_url=None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.bridge = Bridge(self)
        self.controller = AppController(
            self.bridge, workspace, sp_port=sp_port, idp_port=idp_port, open_url=open_url, parent=self
        )
        self.messages: list[tuple[str, str]] = []  # every message shown, for tests and the log
        self.last_error = ""
        self.show_dialogs = True
        self.setObjectName("MainWindow")
        self.resize(1280, 800)
        self.setMinimumSize(900, 600)

        self._build_actions()
        self.flow_bar = FlowBar()
        bar = QToolBar("Flow")
        bar.setObjectName("flow-bar")
        bar.setMovable(False)
        bar.addWidget(self.flow_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        self.tree = WorkspaceTree()
        self.trace_page = TracePage(
            [self.act_export_png, self.act_export_svg, self.act_report, self.act_save_trace], self
        )
        self.users_page = UsersEditor(self.controller)
        self.subs_page = SubscriptionsEditor(self.controller)
        self.matrix_page = MatrixView(self.controller)
        self.certs_page = CertificatesView(self.controller)
        self.idp_page = IdPSettingsEditor(self.controller)
        self.inspector_page = InspectorView(self.controller)
        self.battery_page = BatteryView(self.controller)
        self.onboarding_page = self._make_onboarding(workspace)
        self.onboarding_page.workspace_path = workspace.path
        self.workbench_page = WorkbenchPage(self.controller)
        self.pages: dict[str, QWidget] = {
            "flow": self.trace_page,
            "users": self.users_page,
            "subscriptions": self.subs_page,
            "matrix": self.matrix_page,
            "certs": self.certs_page,
            "idp": self.idp_page,
            "inspector": self.inspector_page,
            "battery": self.battery_page,
            "onboarding": self.onboarding_page,
            "workbench": self.workbench_page,
        }
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([250, 1030])
        self.setCentralWidget(split)
        self.status = ServerStatus()
        self.statusBar().addPermanentWidget(self.status)

        b = self.bridge
        b.message.connect(self.on_message)
        b.servers_started.connect(self.on_servers_started)
        b.servers_failed.connect(self.on_servers_failed)
        b.servers_stopped.connect(self.on_servers_stopped)
        b.health.connect(self.status.set_health)
        b.flow_started.connect(self.on_flow_started)
        b.step_recorded.connect(self.on_step)
        b.foreign_recorded.connect(lambda _run_id: self.trace_page.refresh_banner())
        b.flow_finished.connect(self.on_flow_finished)
        b.flow_failed.connect(self.on_flow_failed)
        b.history_changed.connect(self.rebuild_tree)
        b.trace_imported.connect(self._show_imported)
        b.workspace_changed.connect(self.on_workspace_changed)
        b.workspace_opened.connect(self.on_workspace_opened)
        b.batch_finished.connect(lambda _s: self._set_busy(False))
        b.battery_finished.connect(lambda _r: self._set_busy(False))
        self.flow_bar.run_requested.connect(self.run)
        self.flow_bar.step_requested.connect(self.step)
        self.flow_bar.browser_requested.connect(self.open_in_browser)
        self.tree.target_activated.connect(self.go_to)
        self.matrix_page.run_one.connect(self._run_from_matrix)
        self.trace_page.inspect_requested.connect(self.inspect_text)
        self.trace_page.edit_requested.connect(lambda step: self._edit(self.workbench_page.open_step(step)))
        self.inspector_page.edit_requested.connect(lambda m: self._edit(self.workbench_page.open_inspected(m)))
        self.battery_page.edit_requested.connect(
            lambda xml, name: self._edit(self.workbench_page.open_text(xml, f"the battery row {name}"))
        )
        self.workbench_page.open_trace.connect(self._show_entry)
        self.trace_page.model.visible_changed.connect(self._stepping_changed)

        self.on_workspace_opened(workspace)
        self.on_workspace_changed("all")
        self.show_page("flow")
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.status.set_starting()
        self.controller.start_servers()

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

    # -- pages ------------------------------------------------------------------------------------------

    def show_page(self, name: str) -> None:
        page = self.pages[name]
        if name == "matrix":
            self.matrix_page.reload()
        self.stack.setCurrentWidget(page)
        self.setWindowTitle(f"SAML harness — {PAGE_TITLES[name]} — {self.controller.workspace.path.name}")

    def current_page(self) -> str:
        w = self.stack.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    def go_to(self, t: Target) -> None:
        if t.page == "flow" and t.key:
            entry = self.controller.entry(t.key)
            if entry is not None:
                self.trace_page.show_entry(entry)
        self.show_page(t.page)
        self.tree.select_target(t)
        if t.page == "users" and t.key:
            self.users_page.select(t.key)
        elif t.page == "subscriptions" and t.key:
            self.subs_page.select(t.key, t.sub)
        elif t.page == "idp" and t.key:
            self.idp_page.select(t.key)

    def _make_onboarding(self, ws: Workspace) -> OnboardingView:
        return OnboardingView(self.controller)  # its edits announce themselves on the Bridge

    def _replace_onboarding(self, ws: Workspace) -> None:
        old = self.onboarding_page
        if getattr(old, "workspace_path", None) == ws.path:
            return
        showing = self.stack.currentWidget() is old
        old.shutdown()
        self.onboarding_page = self._make_onboarding(ws)
        self.onboarding_page.workspace_path = ws.path
        self.pages["onboarding"] = self.onboarding_page
        self.stack.insertWidget(self.stack.indexOf(old), self.onboarding_page)
        self.stack.removeWidget(old)
        old.deleteLater()
        if showing:
            self.stack.setCurrentWidget(self.onboarding_page)

    def rebuild_tree(self) -> None:
        problems = sum(1 for t in trust_report(self.controller.workspace) if not t.ok)
        self.tree.rebuild(self.controller.workspace, self.controller.history, problems)

    # -- bridge slots (GUI thread) ---------------------------------------------------------------------------

    def on_message(self, level: str, text: str) -> None:
        self.messages.append((level, text))
        self.statusBar().showMessage(("⚠ " if level != "info" else "") + text, 0 if level == "error" else 8000)
        if level == "error":
            self.last_error = text
            if self.show_dialogs:
                show_message(self, "error", text)

    def on_servers_started(self, servers: Servers) -> None:
        if self.controller.servers is not servers:
            return
        self.status.set_urls(servers.sp_base, servers.idp_base)
        self.status.set_health({"sp": True, "idp": True})
        self.trace_page.diagram.set_captions(
            {"sp": servers.sp_base.split("//")[-1], "idp": servers.idp_base.split("//")[-1], "browser": "scripted"}
        )
        self.subs_page.refresh_urls()
        if self.current_page() == "matrix":
            self.matrix_page.reload()

    def on_servers_failed(self, why: str) -> None:
        self.status.set_health({"sp": False, "idp": False})

    def on_servers_stopped(self) -> None:
        self.status.set_health({"sp": False, "idp": False})

    def _set_busy(self, busy: bool) -> None:
        self.flow_bar.set_running(busy)
        self.status.busy.setVisible(busy)

    def on_flow_started(self, entry: HistoryEntry) -> None:
        self.trace_page.show_entry(entry)
        self.show_page("flow")
        if entry.kind == "browser":
            self.act_stop_capture.setEnabled(True)
            self.trace_page.diagram.placeholder = "Waiting for the browser… log in there; each hop appears here."
        else:
            self.trace_page.diagram.placeholder = "Running…"
            self._set_busy(True)
        self.tree.select_target(Target("flow", entry.run_id))

    def on_step(self, run_id: str, step: Step) -> None:
        self.trace_page.on_step(run_id, step)

    def on_flow_finished(self, run_id: str, _result: FlowResult | None) -> None:
        entry = self.controller.entry(run_id)
        if entry is None:
            return
        if entry.kind == "browser":
            self.act_stop_capture.setEnabled(False)
        else:
            self._set_busy(False)
        self.trace_page.diagram.placeholder = "Run a flow: the hops appear here as they happen."
        self.trace_page.on_finished(entry)
        level, text = entry.outcome()
        self.statusBar().showMessage(text, 15000)
        if self.current_page() == "matrix":
            self.matrix_page.reload()

    def on_flow_failed(self, run_id: str, _why: str) -> None:
        self._set_busy(False)
        entry = self.controller.entry(run_id)
        if entry is not None:
            self.trace_page.on_finished(entry)

    def on_workspace_opened(self, ws: Workspace) -> None:
        if hasattr(self, "onboarding_page"):
            self._replace_onboarding(ws)
        self.status.set_workspace(str(ws.path))
        self.status.set_urls("", "")
        self.status.set_starting()
        self._remember(str(ws.path))
        self.setWindowTitle(f"SAML harness — {ws.path.name}")

    def on_workspace_changed(self, what: str) -> None:
        ws = self.controller.workspace
        self.flow_bar.reload(ws)
        if what in ("users", "all"):
            self.users_page.reload()
        if what in ("subscriptions", "keys", "idp", "all"):
            self.subs_page.reload()
        if what in ("keys", "idp", "subscriptions", "all"):
            self.certs_page.reload()
        if what in ("idp", "keys", "all"):
            self.idp_page.reload()
        self.inspector_page.reload()
        self.battery_page.reload()
        self.workbench_page.reload()
        if self.current_page() == "matrix":
            self.matrix_page.reload()
        self.rebuild_tree()

    # -- flows ---------------------------------------------------------------------------------------------

    def run(self, kind: str, idm_key: str, username: str) -> str | None:
        return self.controller.run_flow(kind, idm_key, username)

    def step(self, kind: str, idm_key: str, username: str) -> None:
        """First press: run in step mode; later presses: reveal the next hop."""
        m = self.trace_page.model
        entry = self.trace_page.entry
        same = entry is not None and (entry.kind, entry.trace.subscription, entry.trace.user) == (
            kind,
            idm_key,
            username,
        )
        if same and not entry.running and m.visible is not None and m.rowCount() < m.total:
            self.show_page("flow")
            self.trace_page.next()
            return
        self.controller.run_flow(kind, idm_key, username, step_mode=True)

    def _stepping_changed(self, shown: int, total: int) -> None:
        entry = self.trace_page.entry
        stepping = entry is not None and not entry.running and self.trace_page.model.visible is not None
        self.flow_bar.set_stepping(shown if stepping else total, total if stepping else 0)

    def open_in_browser(self, kind: str, idm_key: str, username: str) -> str | None:
        return self.controller.open_in_browser(kind, idm_key, username)

    def controller_stop_capture(self) -> None:
        self.controller.stop_capture()

    def inspect_text(self, text: str) -> None:
        self.show_page("inspector")
        self.inspector_page.set_text(text)

    def _edit(self, opened: bool) -> None:
        if opened:
            self.show_page("workbench")

    def _show_entry(self, entry: HistoryEntry) -> None:
        self.trace_page.show_entry(entry)
        self.show_page("flow")

    def _run_from_matrix(self, kind: str, idm_key: str, username: str) -> None:
        self.flow_bar.set_choice(kind, idm_key, username)
        self.run(kind, idm_key, username)

    # -- files ---------------------------------------------------------------------------------------------

    def _ask_dir(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self, title, str(self.controller.workspace.path.parent))

    def new_workspace(self, demo: bool = False, path: str | None = None) -> bool:
        path = path or self._ask_dir("Folder for the new workspace")
        return bool(path) and self.controller.new_workspace(path, demo=demo)

    def open_workspace(self, path: str | None = None) -> bool:
        path = path or self._ask_dir("Open a workspace folder")
        return bool(path) and self.controller.open_workspace(path)

    def save_workspace_as(self, path: str | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the workspace as (a new folder)", str(self.controller.workspace.path) + "-copy"
            )
        return bool(path) and self.controller.save_workspace_as(path)

    def _remember(self, path: str) -> None:
        recent = [p for p in self.recent_workspaces() if p != path]
        self.settings.setValue("recent_workspaces", [path, *recent][:MAX_RECENT])

    def recent_workspaces(self) -> list[str]:
        value = self.settings.value("recent_workspaces") or []
        return [value] if isinstance(value, str) else [str(v) for v in value]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        current = str(self.controller.workspace.path)
        for p in self.recent_workspaces():
            act = self.recent_menu.addAction(p)
            act.setEnabled(p != current and Path(p).is_dir())
            act.triggered.connect(lambda _c=False, p=p: self.open_workspace(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _current_entry(self) -> HistoryEntry | None:
        entry = self.trace_page.entry
        if entry is None:
            self.on_message("warning", "Run a flow or open a trace first.")
        return entry

    def open_trace(self, path: str | None = None) -> HistoryEntry | None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open a trace", "", "Traces (*.json);;All files (*)")
        if not path:
            return None
        entry = self.controller.open_trace(path)
        if entry is not None:
            self.trace_page.show_entry(entry)
            self.show_page("flow")
        return entry

    def import_capture(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import a browser capture", "", "Captures (*.har *.json);;All files (*)")
        if path:
            self.controller.captures.import_capture(path, self.flow_bar.choice()[1] or None)

    def _show_imported(self, _trace: object, _source: str) -> None:
        if self.controller.history:
            self.trace_page.show_entry(self.controller.history[-1])
            self.show_page("flow")

    def export_har(self, path: str | None = None) -> bool:
        entry = self._current_entry()
        if entry is None:
            return False
        path = path or self._save_path("Export the trace as HAR", "har", "HAR (*.har)")
        return bool(path) and self.controller.captures.export_har(entry, path)

    def _save_path(self, title: str, suffix: str, filt: str) -> str:
        entry = self.trace_page.entry
        stem = f"trace-{entry.trace.user or 'run'}-{entry.trace.id}" if entry else "trace"
        path, _ = QFileDialog.getSaveFileName(self, title, f"{stem}.{suffix}", filt)
        return path

    def save_trace(self, path: str | None = None) -> bool:
        entry = self._current_entry()
        if entry is None:
            return False
        path = path or self._save_path("Save the trace", "json", "Traces (*.json)")
        return bool(path) and self.controller.save_trace(entry, path)

    def export_report(self, path: str | None = None) -> bool:
        entry = self._current_entry()
        if entry is None:
            return False
        path = path or self._save_path("Export an HTML report", "html", "HTML (*.html)")
        return bool(path) and self.controller.export_report(entry, path)

    def export_diagram(self, fmt: str, path: str | None = None) -> bool:
        if self._current_entry() is None:
            return False
        path = path or self._save_path(f"Export the diagram as {fmt.upper()}", fmt, f"{fmt.upper()} (*.{fmt})")
        if not path:
            return False
        d = self.trace_page.diagram
        ok = d.export_png(path) if fmt == "png" else d.export_svg(path)
        if ok:
            self.on_message("info", f"Diagram written to {path}.")
        else:
            self.on_message("error", f"Cannot write the diagram to {path}.")
        return ok

    # -- closing ---------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.trace_page.stop_play()
        self.onboarding_page.shutdown()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.statusBar().showMessage("Stopping the servers…")
        QApplication.processEvents()
        self.controller.shutdown()
        event.accept()
