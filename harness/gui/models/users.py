"""The mock IdP's directory."""

from __future__ import annotations

from harness.gui.models.base import Column, RowsModel


class UserTableModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("Username", lambda u: u.username),
                Column("Email", lambda u: u.email),
                Column("Name", lambda u: f"{u.first_name} {u.last_name}".strip()),
                Column("Groups", lambda u: ", ".join(u.groups)),
                Column("Extra attributes", lambda u: ", ".join(f"{k}={v}" for k, v in u.extra.items())),
                Column("2FA", lambda u: "TOTP" if u.totp_secret else "", center=True),
            ],
            parent,
        )
