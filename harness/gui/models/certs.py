"""Key pairs and trusted certificates, with expired and soon-to-expire ones marked."""

from __future__ import annotations

from harness.gui.models.base import Column, RowsModel
from harness.gui.trust import CertRow

STATUS_WORDS = {
    "valid": "valid",
    "expired": "EXPIRED",
    "expires-soon": "expires soon",
    "not-yet-valid": "not yet valid",
    "unreadable": "unreadable",
}
STATUS_BG = {"expired": "#ffcdd2", "expires-soon": "#ffe0b2", "not-yet-valid": "#e0e0e0", "unreadable": "#ffcdd2"}


def _date(d) -> str:
    return d.strftime("%Y-%m-%d") if d is not None else ""


class CertTableModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column(
                    "Key pair",
                    lambda r: r.name or "(certificate only)",
                    color=lambda r: None if r.has_key else "#6d4c41",
                ),
                Column("Subject", lambda r: r.subject),
                Column("SHA-256", lambda r: r.short_fp, tooltip=lambda r: r.fingerprint),
                Column("Valid from", lambda r: _date(r.not_before)),
                Column("Valid until", lambda r: _date(r.not_after)),
                Column(
                    "Status",
                    lambda r: STATUS_WORDS.get(r.status, r.status),
                    background=lambda r: STATUS_BG.get(r.status),
                    center=True,
                ),
                Column("Used for", lambda r: "; ".join(r.uses)),
            ],
            parent,
        )

    def row_for(self, name: str) -> int:
        return self.find(lambda r: isinstance(r, CertRow) and r.name == name)
