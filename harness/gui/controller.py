"""The application controller: owns the workspace, the servers, the runs and the undo stack.

It runs in the GUI thread. Slow work (starting the servers, flows, health probes) goes to a
thread pool and comes back only through the Bridge. Every edit is saved to the workspace at
once, applied to the running servers with `Servers.reload()`, and pushed on the undo stack.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QUndoStack

from harness.core.control import ControlHandle, start_control
from harness.core.flow import TITLES, FlowResult, expect, run_flow
from harness.core.servers import Servers
from harness.core.trace import Step, Trace
from harness.core.workspace import Workspace
from harness.gui.battery_runs import BatteryRuns, ExternalSP
from harness.gui.bridge import Bridge
from harness.gui.browser_capture import BrowserCaptures
from harness.gui.captures import Captures
from harness.gui.edits import WorkspaceEdits
from harness.gui.errors import EDIT_ERRORS, in_words
from harness.gui.history import HistoryEntry
from harness.gui.tasks import Tasks
from harness.gui.trace_files import TraceFiles

HEALTH_INTERVAL_MS = 3000


class AppController(WorkspaceEdits, QObject):
    """Servers, runs and traces here; the workspace edits (with undo) come from WorkspaceEdits."""

    def __init__(
        self,
        bridge: Bridge,
        workspace: Workspace,
        *,
        sp_port: int | None = None,
        idp_port: int | None = None,
        open_url: Callable[[str], None] | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.bridge = bridge
        self.workspace = workspace
        self.sp_port, self.idp_port = sp_port, idp_port
        self.servers: Servers | None = None
        self._control: ControlHandle | None = None  # the control API beside the servers
        self.tasks = Tasks()
        self.undo_stack = QUndoStack(self)
        self.history: list[HistoryEntry] = []
        self.open_url = open_url or (lambda url: QDesktopServices.openUrl(QUrl(url)))
        self._starting = False
        self._unclaimed: list[Servers] = []  # started in a worker, not yet taken by the GUI thread
        self._lock = threading.Lock()
        self._running: str | None = None
        self._closed = False
        bridge.servers_started.connect(self._on_servers_started)
        bridge.servers_failed.connect(self._on_servers_failed)
        bridge.flow_finished.connect(self._on_flow_finished)
        bridge.flow_failed.connect(self._on_flow_failed)
        bridge.step_recorded.connect(self._on_step)
        self.captures = Captures(self)
        self.battery = BatteryRuns(self)
        self.browser = BrowserCaptures(self)
        self.trace_files = TraceFiles(self)
        self._health = QTimer(self)
        self._health.setInterval(HEALTH_INTERVAL_MS)
        self._health.timeout.connect(self.probe_health)

    # -- servers ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._running is not None

    def start_servers(self) -> None:
        if self._starting or self.servers is not None or self._closed:
            return
        self._starting = True
        ws, sp_port, idp_port, bridge = self.workspace, self.sp_port, self.idp_port, self.bridge

        def work() -> Servers:
            servers = Servers(ws, sp_port=sp_port, idp_port=idp_port).start()
            with self._lock:
                self._unclaimed.append(servers)
            return servers

        self.bridge.info("Starting the SP and the mock IdP…")
        self.tasks.start(
            work,
            done=bridge.servers_started.emit,
            failed=lambda err: bridge.servers_failed.emit(f"The servers could not start: {in_words(err)}"),
        )

    def _claim(self, servers: Servers) -> bool:
        with self._lock:
            if servers in self._unclaimed:
                self._unclaimed.remove(servers)
                return True
        return False

    def _on_servers_started(self, servers: Servers) -> None:
        if not self._claim(servers):
            return
        self._starting = False
        if self._closed or servers.workspace is not self.workspace:
            servers.stop()  # the tester switched workspaces meanwhile
            return
        self.servers = servers
        self._control = self._start_control(servers)
        self._health.start()
        for note in servers.notes:
            self.bridge.warning(note[0].upper() + note[1:] + ".")
        self.bridge.health.emit({"sp": True, "idp": True})
        self.bridge.info(f"SP on {servers.sp_base}, mock IdP on {servers.idp_base}.")
        if servers.tls is not None:
            self.bridge.info(
                f"HTTPS: the certificates come from the workspace's local CA {servers.tls.ca_cert}; "
                "trust it once in your browser to open the flows there (README: HTTPS)."
            )

    def _start_control(self, servers: Servers) -> ControlHandle | None:
        """The control API beside the servers: other harness commands and tests change the workspace
        through it while the app holds it; the views reload when they do (the signal is queued to
        the GUI thread)."""
        try:
            control = start_control(servers)
        except OSError as err:
            self.bridge.warning(f"The control API could not start: {in_words(err)}")
            return None
        servers.reload_listeners.append(lambda: self.bridge.workspace_changed.emit("all"))
        return control

    def _on_servers_failed(self, why: str) -> None:
        self._starting = False
        self.bridge.error(why)

    def stop_servers(self) -> None:
        self.stop_capture()
        self._health.stop()
        servers, self.servers = self.servers, None
        control, self._control = self._control, None
        if control is not None:
            control.stop()
        if servers is not None:
            servers.stop()
            self.bridge.servers_stopped.emit()

    def restart_servers(self) -> None:
        self.stop_servers()
        self.start_servers()

    def probe_health(self) -> None:
        servers, bridge = self.servers, self.bridge
        if servers is None:
            bridge.health.emit({"sp": False, "idp": False})
            return
        urls = {"sp": servers.sp_base, "idp": servers.idp_base}

        def work() -> dict:
            out = {}
            for name, url in urls.items():
                parts = urlsplit(url)
                try:
                    with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
                        out[name] = True
                except OSError:
                    out[name] = False
            return out

        self.tasks.start(work, done=bridge.health.emit)

    def shutdown(self) -> None:
        """Stop everything; called when the window closes."""
        if self._closed:
            return
        self._closed = True
        self._health.stop()
        self.stop_servers()
        self.tasks.wait(15_000)
        with self._lock:
            left, self._unclaimed = self._unclaimed, []
        for servers in left:
            servers.stop()
        self.workspace.close()

    # -- workspaces --------------------------------------------------------------------------------

    def switch_workspace(self, ws: Workspace) -> None:
        self.stop_servers()
        old, self.workspace = self.workspace, ws
        if old is not ws:
            old.close()
        self.undo_stack.clear()
        self.bridge.workspace_opened.emit(ws)
        self.bridge.workspace_changed.emit("all")
        self.start_servers()

    def open_workspace(self, path: str | Path) -> bool:
        try:
            ws = Workspace(path)
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot open the workspace: {in_words(err)}")
            return False
        self.switch_workspace(ws)
        return True

    def new_workspace(self, path: str | Path, *, demo: bool = False) -> bool:
        try:
            ws = Workspace.demo(path) if demo else Workspace.create(path)
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot create the workspace: {in_words(err)}")
            return False
        self.switch_workspace(ws)
        return True

    def save_workspace_as(self, path: str | Path) -> bool:
        try:
            ws = Workspace.from_json(path, self.workspace.to_json(), keys_from=self.workspace.keys_dir)
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot save the workspace there: {in_words(err)}")
            return False
        self.switch_workspace(ws)
        return True

    # -- flows -----------------------------------------------------------------------------------------

    def run_flow(self, kind: str, idm_key: str, username: str, *, step_mode: bool = False) -> str | None:
        """Run a flow with the scripted browser in a worker; returns its run id."""
        if self.servers is None:
            self.bridge.error("The servers are not running yet: wait for them to start, or restart them.")
            return None
        if self._running is not None:
            self.bridge.warning("A flow is already running.")
            return None
        if not idm_key or not username:
            self.bridge.error("Choose a subscription and a user first.")
            return None
        run_id = uuid.uuid4().hex[:10]
        words = TITLES.get(kind, kind)
        trace = Trace(title=f"{words}: {username} → {idm_key}", flow=kind, subscription=idm_key, user=username)
        entry = HistoryEntry(run_id, trace, kind, running=True, step_mode=step_mode)
        self.history.append(entry)
        self._running = run_id
        servers, bridge = self.servers, self.bridge

        def on_step(_trace: Trace, step: Step) -> None:
            bridge.step_recorded.emit(run_id, step)

        def work() -> FlowResult:
            return run_flow(servers, kind=kind, idm_key=idm_key, username=username, on_step=on_step)

        bridge.history_changed.emit()
        bridge.flow_started.emit(entry)
        self.tasks.start(
            work,
            done=lambda result: bridge.flow_finished.emit(run_id, result),
            failed=lambda err: bridge.flow_failed.emit(run_id, f"The flow could not run: {in_words(err)}"),
        )
        return run_id

    def run_batch(self, kind: str, pairs: list[tuple[str, str]]) -> bool:
        """Run (username, idm_key) pairs one after the other in a worker (the matrix's "Run all")."""
        if self.servers is None:
            self.bridge.error("The servers are not running yet.")
            return False
        if self._running is not None:
            self.bridge.warning("A flow is already running.")
            return False
        self._running = "batch"
        servers, bridge = self.servers, self.bridge

        def work() -> str:
            good = 0
            for username, idm_key in pairs:
                result = run_flow(servers, kind=kind, idm_key=idm_key, username=username)
                good += bool(result.as_expected)
                bridge.batch_progress.emit({"user": username, "idm_key": idm_key, "kind": kind, "result": result})
            return f"{good} of {len(pairs)} logins went as predicted."

        self.bridge.batch_finished.connect(self._on_batch_finished)
        self.tasks.start(
            work,
            done=bridge.batch_finished.emit,
            failed=lambda err: bridge.batch_finished.emit(f"The batch stopped: {in_words(err)}"),
        )
        return True

    def _on_batch_finished(self, summary: str) -> None:
        self.bridge.batch_finished.disconnect(self._on_batch_finished)
        self._running = None
        self.bridge.info(summary)

    # The attack battery, browser captures and trace files live in their own modules; these keep
    # the controller's surface the views and tests call.
    @property
    def last_battery_error(self) -> str:
        return self.battery.last_error

    def run_battery(self, idm_key: str, scenarios: list | None = None, *, external: ExternalSP | None = None) -> bool:
        return self.battery.run(idm_key, scenarios, external=external)

    def battery_trust(self, idm_key: str | None) -> tuple[bytes | None, str]:
        return self.battery.trust(idm_key)

    def browser_url(self, kind: str, idm_key: str, username: str) -> str | None:
        return self.browser.url(kind, idm_key, username)

    def open_in_browser(self, kind: str, idm_key: str, username: str) -> str | None:
        return self.browser.open(kind, idm_key, username)

    @property
    def capturing(self) -> str | None:
        return self.browser.capturing

    def stop_capture(self) -> None:
        self.browser.stop()

    def open_trace(self, path: str | Path) -> HistoryEntry | None:
        return self.trace_files.open(path)

    def save_trace(self, entry: HistoryEntry, path: str | Path) -> bool:
        return self.trace_files.save(entry, path)

    def export_report(self, entry: HistoryEntry, path: str | Path) -> bool:
        return self.trace_files.export_report(entry, path)

    def _on_step(self, run_id: str, step: Step) -> None:
        entry = self.entry(run_id)
        if entry is not None and entry.kind != "browser" and step not in entry.trace.steps:
            entry.trace.steps.append(step)  # the live copy; replaced by the final trace at the end

    def _on_flow_finished(self, run_id: str, result: FlowResult | None) -> None:
        entry = self.entry(run_id)
        if self._running == run_id:
            self._running = None
        if entry is None:
            return
        entry.running = False
        if result is not None:
            entry.trace = result.trace
            entry.expected = result.expected
            entry.as_expected = result.as_expected
            entry.seconds = result.seconds
            entry.whoami = result.whoami
        self.bridge.history_changed.emit()

    def _on_flow_failed(self, run_id: str, why: str) -> None:
        entry = self.entry(run_id)
        if self._running == run_id:
            self._running = None
        if entry is not None:
            entry.running, entry.error = False, why
        self.bridge.error(why)
        self.bridge.history_changed.emit()

    def entry(self, run_id: str) -> HistoryEntry | None:
        for e in self.history:
            if e.run_id == run_id:
                return e
        return None

    def add_trace(self, trace: Trace, source: str = "") -> HistoryEntry:
        entry = HistoryEntry(uuid.uuid4().hex[:10], trace, "file", source=source)
        self.history.append(entry)
        self.bridge.history_changed.emit()
        return entry

    def expectation(self, idm_key: str, username: str):  # -> Expectation | None
        if self.servers is None:
            return None
        try:
            return expect(self.servers, idm_key, username)
        except Exception as err:  # a prediction must never crash the window
            from harness.core.flow import Expectation

            return Expectation("unknown", [], f"cannot predict: {in_words(err)}")
