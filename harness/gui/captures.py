"""Import browser captures (HAR, SAML-tracer) as traces and export traces as HAR, for the window.

Reading a capture goes to the controller's thread pool (captures run to tens of MB); the trace
comes back through the Bridge's `trace_imported` and joins the history in the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.capture.from_workspace import expectations_from_workspace
from harness.core.capture.har_write import trace_to_har
from harness.core.capture.load import load_capture
from harness.core.capture.to_trace import capture_to_trace
from harness.core.trace import Trace
from harness.gui.errors import in_words
from harness.gui.history import HistoryEntry

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class Captures:
    def __init__(self, controller: AppController):
        self.controller = controller
        controller.bridge.trace_imported.connect(self._imported)

    def import_capture(self, path: str | Path, idm_key: str | None = None) -> None:
        """`idm_key`: check the messages against that subscription's questionnaire too."""
        ws = self.controller.workspace
        expectations = expectations_from_workspace(ws, idm_key) if idm_key and ws.subscription(idm_key) else None
        bridge = self.controller.bridge

        def work() -> Trace:
            capture = load_capture(path)
            title = f"{capture.format} capture {Path(path).name}"
            return capture_to_trace(capture, expectations=expectations, title=title)

        self.controller.tasks.start(
            work,
            done=lambda trace: bridge.trace_imported.emit(trace, str(path)),
            failed=lambda err: bridge.error(f"Cannot import the capture: {in_words(err)}"),
        )

    def _imported(self, trace: Trace, source: str) -> None:
        self.controller.add_trace(trace, source)

    def export_har(self, entry: HistoryEntry, path: str | Path) -> bool:
        try:
            Path(path).write_text(json.dumps(trace_to_har(entry.trace), indent=1), encoding="utf-8")
        except OSError as err:
            self.controller.bridge.error(f"Cannot write the HAR: {in_words(err)}")
            return False
        self.controller.bridge.info(f"HAR written to {path}.")
        return True
