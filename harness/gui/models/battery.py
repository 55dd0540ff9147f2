"""The attack battery's results: one row per scenario, coloured by verdict."""

from __future__ import annotations

from harness.gui.models.base import Column, RowsModel

GOOD = {"refused": "#e8f5e9", "ignored": "#e8f5e9", "accepted": "#e8f5e9"}
BAD = {"ACCEPTED", "FETCHED", "CRASH", "ERROR", "REFUSED"}


def _bg(r) -> str | None:
    if r.verdict in BAD:
        return "#ffcdd2"
    return GOOD.get(r.verdict, "#eeeeee")


class BatteryModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("Scenario", lambda r: r.scenario, tooltip=lambda r: r.summary),
                Column("Family", lambda r: r.family),
                Column("Verdict", lambda r: r.verdict, background=_bg, center=True),
                Column("The SP answered", lambda r: r.observed.short(), tooltip=lambda r: r.note),
                Column("A safe SP", lambda r: r.safe_sp, tooltip=lambda r: r.rule),
            ],
            parent,
        )
