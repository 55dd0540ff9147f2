"""The checks of a step: name, pass/fail, the reason in words."""

from __future__ import annotations

from harness.core.report import COLORS, mark
from harness.gui.models.base import Column, RowsModel


def _color(c) -> str:
    return COLORS["ok"] if c.ok else (COLORS["info"] if c.ok is None else COLORS["refused"])


class ChecksModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("", lambda c: mark(c.ok), color=_color, center=True),
                Column("Check", lambda c: c.name, color=lambda c: COLORS["refused"] if c.ok is False else None),
                Column(
                    "Result",
                    lambda c: c.detail,
                    tooltip=lambda c: c.detail,
                    background=lambda c: "#ffebee" if c.ok is False else None,
                ),
            ],
            parent,
        )
