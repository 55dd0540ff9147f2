"""Trace files for the window: open a saved trace into the history, save one, write its HTML report.

A file that cannot be read or written is an error message on the Bridge, never an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.report import render_html
from harness.core.trace import Trace
from harness.gui.errors import in_words
from harness.gui.history import HistoryEntry

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class TraceFiles:
    def __init__(self, controller: AppController):
        self.controller = controller

    def open(self, path: str | Path) -> HistoryEntry | None:
        try:
            trace = Trace.from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError) as err:
            self.controller.bridge.error(f"Cannot open the trace: {in_words(err)}")
            return None
        return self.controller.add_trace(trace, str(path))

    def save(self, entry: HistoryEntry, path: str | Path) -> bool:
        try:
            Path(path).write_text(entry.trace.to_json(), encoding="utf-8")
        except OSError as err:
            self.controller.bridge.error(f"Cannot save the trace: {in_words(err)}")
            return False
        self.controller.bridge.info(f"Trace saved to {path}.")
        return True

    def export_report(self, entry: HistoryEntry, path: str | Path) -> bool:
        try:
            text = render_html(entry.trace, expected=entry.expected, as_expected=entry.as_expected)
            Path(path).write_text(text, encoding="utf-8")
        except OSError as err:
            self.controller.bridge.error(f"Cannot write the report: {in_words(err)}")
            return False
        self.controller.bridge.info(f"Report written to {path}.")
        return True
