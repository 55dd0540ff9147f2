"""The main window: flow bar on top, workspace tree on the left, pages on the right, servers below."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
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
from harness.gui.views.main_window_files import MAX_RECENT, FileActions
from harness.gui.views.main_window_menus import PAGE_TITLES, MenuActions
from harness.gui.views.matrix_view import MatrixView
from harness.gui.views.onboarding import OnboardingView
from harness.gui.views.status import ServerStatus
from harness.gui.views.subscriptions_editor import SubscriptionsEditor
from harness.gui.views.trace_page import TracePage
from harness.gui.views.users_editor import UsersEditor
from harness.gui.views.workbench_view import WorkbenchPage
from harness.gui.views.workspace_tree import WorkspaceTree

__all__ = ["MAX_RECENT", "PAGE_TITLES", "MainWindow"]


class MainWindow(MenuActions, FileActions, QMainWindow):
    """The window; its actions and menus live in MenuActions, its file actions in FileActions."""

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
        b.workbench_recording_ended.connect(self.on_recording_ended)
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

    def on_recording_ended(self, run_id: str) -> None:
        """The workbench's recording of the browser ended: its trace, if shown, is final."""
        entry = self.controller.entry(run_id)
        if entry is not None:
            self.trace_page.on_finished(entry)

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

    # -- closing ---------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.trace_page.stop_play()
        self.onboarding_page.shutdown()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.statusBar().showMessage("Stopping the servers…")
        QApplication.processEvents()
        self.controller.shutdown()
        event.accept()
