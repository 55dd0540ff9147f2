"""The mock IdP's directory: users with password, email, names, groups, extra attributes, 2FA."""

from __future__ import annotations

from dataclasses import replace

import pyotp
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from harness.gui.controller import AppController
from harness.gui.models.users import UserTableModel
from harness.gui.views.editor_base import TableWithForm, title_label
from mock_idp.model import IdPUser


class UsersEditor(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.editor = _Users(controller)
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "IdP users",
                "The mock IdP's directory. Changes are saved at once and the running IdP uses them on the next "
                "login. Undo with Ctrl+Z.",
            )
        )
        lay.addWidget(self.editor, 1)

    def reload(self) -> None:
        self.editor.set_rows(self.controller.workspace.users())

    def select(self, username: str) -> None:
        self.editor.select(lambda u: u.username == username)


class _Users(TableWithForm):
    def __init__(self, controller: AppController):
        super().__init__(UserTableModel(), add="Add user", item="user")
        self.controller = controller
        f, g = self.form, self.grid
        self.username = f.line("username", "e.g. grace", tip="The login name at the IdP (also the default NameID)")
        self.password = f.line("password", "the IdP password")
        self.email = f.line("email", "grace@demo-corp.example")
        self.first_name = f.line("first_name")
        self.last_name = f.line("last_name")
        self.groups = f.line("groups", "secops, managers", kind="list", tip="Comma-separated group names")
        self.extra = f.line(
            "extra",
            "employeeNumber=E1007; costCenter=a|b",
            kind="dict",
            tip="Extra attributes the IdP can release: name=value; several values with |",
        )
        self.totp = f.check("totp", "Ask for a second factor (TOTP) after the password")
        self.secret = QLineEdit(readOnly=True)
        self.secret.setPlaceholderText("no second factor")
        self.code_btn = QPushButton("Current code")
        self.code_btn.setToolTip("The TOTP code an authenticator app would show now")
        self.code_btn.clicked.connect(self._show_code)
        row = QWidget()
        rl = QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.secret, 1)
        rl.addWidget(self.code_btn)
        g.add("&Username", self.username)
        g.add("&Password", self.password)
        g.add("&Email", self.email)
        g.add("&Groups", self.groups)
        g.add("&First name", self.first_name, 1)
        g.add("&Last name", self.last_name, 1)
        g.add("E&xtra attributes", self.extra, 1)
        g.add("", self.totp, 1)
        g.add("TOTP secret", row, 0, span=2)

    def same(self, a: IdPUser, b: IdPUser) -> bool:
        return a.username == b.username

    def load(self, u: IdPUser | None) -> None:
        if u is None:
            self.form.set_values({k: "" for k in ("username", "password", "email", "first_name", "last_name")})
            self.secret.clear()
            return
        self.form.set_values(
            {
                "username": u.username,
                "password": u.password,
                "email": u.email,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "groups": u.groups,
                "extra": u.extra,
                "totp": bool(u.totp_secret),
            }
        )
        self.secret.setText(u.totp_secret or "")
        self.code_btn.setEnabled(bool(u.totp_secret))

    def commit(self, u: IdPUser, v: dict, field: str) -> None:
        secret = u.totp_secret if v["totp"] else None
        if v["totp"] and not secret:
            secret = pyotp.random_base32()
        new = replace(
            u,
            username=v["username"],
            password=v["password"],
            email=v["email"],
            first_name=v["first_name"],
            last_name=v["last_name"],
            groups=v["groups"],
            extra=v["extra"],
            totp_secret=secret,
        )
        self.want(lambda x: x.username == new.username)
        if not self.controller.save_user(new, old_username=u.username):
            self.want(lambda x: x.username == u.username)
            self.load(self.controller.workspace.user(u.username) or u)

    def add(self) -> None:
        name = self.controller.unique_username()
        self.want(lambda x: x.username == name)
        if self.controller.save_user(IdPUser(username=name, password="changeme")):
            self.username.setFocus()
            self.username.selectAll()

    def duplicate(self) -> None:
        u = self.selected()
        if u is None:
            return
        name = self.controller.unique_username(u.username + "_copy")
        self.want(lambda x: x.username == name)
        self.controller.save_user(replace(u, username=name, groups=list(u.groups), extra=dict(u.extra)))

    def delete(self) -> None:
        u = self.selected()
        if u is not None:
            self.controller.delete_user(u.username)

    def _show_code(self) -> None:
        u = self.selected()
        if u is not None and u.totp_secret:
            self.secret.setText(f"{u.totp_secret}    now: {pyotp.TOTP(u.totp_secret).now()}")
