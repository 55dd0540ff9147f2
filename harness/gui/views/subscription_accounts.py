"""The accounts tab of the SP subscriptions page: one subscription's accounts, their login and mapping."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from harness.gui.controller import AppController
from harness.gui.models.subscriptions import AccountTableModel
from harness.gui.views.editor_base import TableWithForm, show_error
from sp.model import ROLES, Account, Subscription

if TYPE_CHECKING:
    from harness.gui.views.subscriptions_editor import SubscriptionsEditor


class AccountsTab(TableWithForm):
    """Edits the accounts of the subscription the page shows; every change saves that subscription."""

    def __init__(self, controller: AppController, page: SubscriptionsEditor):
        super().__init__(AccountTableModel(), add="Add account", item="account")
        self.controller = controller
        self.page = page
        self.subscription: Subscription | None = None
        f, g = self.form, self.grid
        self.login = f.line("login", "e.g. demo_gg", tip="The account's login name at the SP")
        self.external_id = f.line(
            "external_id",
            "the IdP identity that maps here",
            tip="Matched against the SAML identity when mapping by External ID",
        )
        self.saml = f.check("saml_enabled", "SAML enabled (a Manager's switch)")
        self.active = f.check("active", "Active")
        self.role = f.combo("role", [(r, r) for r in ROLES])
        self.scope = f.line("scope", "asset groups, comma-separated", kind="list")
        self.first_name = f.line("first_name")
        self.last_name = f.line("last_name")
        self.email = f.line("email")
        self.password = f.line("password", "for the user API only", tip="SAML never uses it")
        g.add("&Login", self.login)
        g.add("External &ID", self.external_id)
        g.add("&Role", self.role)
        g.add("Sc&ope", self.scope)
        g.add("API password", self.password)
        g.add("", self.saml, 1)
        g.add("", self.active, 1)
        g.add("First name", self.first_name, 1)
        g.add("Last name", self.last_name, 1)
        g.add("Email", self.email, 1)

    def same(self, a: Account, b: Account) -> bool:
        return a.login == b.login

    def load(self, a: Account | None) -> None:
        if a is None:
            self.form.set_values({k: "" for k in ("login", "external_id", "first_name", "last_name", "email")})
            return
        self.form.set_values(
            {
                "login": a.login,
                "external_id": a.external_id,
                "saml_enabled": a.saml_enabled,
                "active": a.active,
                "role": a.role,
                "scope": a.scope,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "email": a.email,
                "password": a.password,
            }
        )

    def _save(self, accounts: list[Account], want: str) -> bool:
        sub = self.subscription
        if sub is None:
            return False
        self.want(lambda x: x.login == want)
        return self.controller.save_subscription(replace(sub, accounts=accounts))

    def commit(self, a: Account, v: dict, field: str) -> None:
        if not v["login"]:
            show_error(self.error, "An account needs a login.")
            return
        new = replace(a, **v)
        accounts = [new if x.login == a.login else x for x in self.subscription.accounts]
        if not self._save(accounts, new.login):
            self.load(a)

    def unique_login(self, base: str) -> str:
        logins = {a.login for a in self.subscription.accounts} if self.subscription else set()
        name, n = base, 1
        while name in logins:
            n += 1
            name = f"{base}{n}"
        return name

    def add(self) -> None:
        if self.subscription is None:
            return
        login = self.unique_login("new_account")
        acc = Account(login=login, saml_enabled=self.subscription.nds_enabled)
        if self._save([*self.subscription.accounts, acc], login):
            self.login.setFocus()
            self.login.selectAll()

    def duplicate(self) -> None:
        a = self.selected()
        if a is None or self.subscription is None:
            return
        login = self.unique_login(a.login + "_copy")
        self._save([*self.subscription.accounts, replace(a, login=login, scope=list(a.scope))], login)

    def delete(self) -> None:
        a = self.selected()
        if a is None or self.subscription is None:
            return
        self._save([x for x in self.subscription.accounts if x.login != a.login], "")
