"""One entry per run in the traces history (plain data: no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.core.flow import Expectation
from harness.core.report import outcome_line
from harness.core.trace import Trace

KIND_WORDS = {
    "sp": "SP-initiated",
    "idp": "IdP-initiated",
    "logout": "SP-initiated logout",
    "idp-logout": "IdP-initiated logout",
    "browser": "Real browser",
    "file": "Opened",
    "workbench": "Edited and sent",
}


@dataclass
class HistoryEntry:
    run_id: str
    trace: Trace
    kind: str  # "sp" | "idp" | "browser" | "file"
    running: bool = False
    step_mode: bool = False
    expected: Expectation | None = None
    as_expected: bool | None = None
    seconds: float | None = None
    whoami: dict = field(default_factory=dict)
    error: str = ""
    source: str = ""  # the file a trace was opened from

    @property
    def title(self) -> str:
        who = self.trace.user or "?"
        sub = self.trace.subscription or "?"
        return f"{KIND_WORDS.get(self.kind, self.kind)}: {who} → {sub}"

    def outcome(self) -> tuple[str, str]:
        """(level, sentence) for the banner and the history list."""
        if self.error:
            return "error", f"✘ {self.error}"
        level, text = outcome_line(self.trace, self.expected, self.as_expected)
        if self.trace.foreign:
            text += foreign_note(len(self.trace.foreign))
        if self.running:
            n = len(self.trace.steps)
            browser = self.kind in ("browser", "workbench")  # a workbench entry runs only while recorded
            where = "recording what the browser does" if browser else "running"
            shown = self.trace.outcome or self.trace.foreign
            return "info", f"… {where}: {n} step(s) so far." + (f" {text}" if shown else "")
        return level, text

    @property
    def mark(self) -> str:
        if self.running:
            return "…"
        level = self.outcome()[0]
        return {"ok": "✔", "refused": "✘", "error": "✘"}.get(level, "·")


def foreign_note(n: int) -> str:
    return f"  ({n} foreign request(s) from another browser or page kept apart: not the tester's steps)"
