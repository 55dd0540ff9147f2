"""The main window's file actions: workspaces, the recent list, traces, reports, captures, HAR, diagrams."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from harness.gui.history import HistoryEntry

MAX_RECENT = 8


class FileActions:
    """Mixin for MainWindow: each file action asks for a path (unless given one) and hands it to the controller."""
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
