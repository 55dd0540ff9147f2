"""The steps of the trace on screen; the sequence diagram and the step list both read this model.

In step mode only the first `visible` steps are shown, so both views reveal hops together.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal

from harness.core.report import COLORS, answer_text, request_text, step_color
from harness.core.trace import Step
from harness.gui.models.base import Column, RowsModel

ACTOR = {"browser": "Browser", "sp": "SP", "idp": "IdP"}


def _result(step: Step) -> str:
    return answer_text(step)


def _verdict_bg(step: Step) -> str | None:
    return {"refused": "#ffebee", "error": "#f3e5f5", "ok": "#e8f5e9"}.get(step.verdict)


COLUMNS = [
    Column("#", lambda s: str(s.index), color=step_color, center=True),
    Column(
        "To", lambda s: f"→ {ACTOR.get(s.dst, s.dst)}", tooltip=lambda s: f"{ACTOR.get(s.src)} → {ACTOR.get(s.dst)}"
    ),
    Column("Request", request_text, tooltip=lambda s: s.url),
    Column(
        "Answer",
        _result,
        color=lambda s: COLORS.get(s.verdict) if s.verdict != "info" else None,
        background=_verdict_bg,
        tooltip=lambda s: s.reason or s.explanation,
    ),
]


class StepListModel(RowsModel):
    visible_changed = Signal(int, int)  # visible, total

    def __init__(self, parent=None):
        super().__init__(COLUMNS, parent)
        self.all_steps: list[Step] = []
        self.visible: int | None = None  # None: all

    def set_steps(self, steps: list[Step], visible: int | None = None) -> None:
        self.all_steps = list(steps)
        self.visible = visible
        self.set_rows(self._shown())
        self.visible_changed.emit(len(self.rows), len(self.all_steps))

    def _shown(self) -> list[Step]:
        return self.all_steps if self.visible is None else self.all_steps[: self.visible]

    def append(self, step: Step) -> None:
        if any(s is step for s in self.all_steps):
            return
        self.all_steps.append(step)
        if self.visible is None or len(self.rows) < self.visible:
            row = len(self.rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self.rows.append(step)
            self.endInsertRows()
        self.visible_changed.emit(len(self.rows), len(self.all_steps))

    def set_visible(self, n: int | None) -> None:
        """Show the first n steps (None: all), inserting or removing rows at the end."""
        target = len(self.all_steps) if n is None else max(0, min(n, len(self.all_steps)))
        self.visible = n if n is None or n < len(self.all_steps) else None
        cur = len(self.rows)
        if target > cur:
            self.beginInsertRows(QModelIndex(), cur, target - 1)
            self.rows.extend(self.all_steps[cur:target])
            self.endInsertRows()
        elif target < cur:
            self.beginRemoveRows(QModelIndex(), target, cur - 1)
            del self.rows[target:]
            self.endRemoveRows()
        self.visible_changed.emit(len(self.rows), len(self.all_steps))

    @property
    def total(self) -> int:
        return len(self.all_steps)

    def step(self, row: int) -> Step | None:
        return self.object(row)
