"""The provisioning plan: what a sync would create, change and deactivate, worked out from the IdP
directory, the group rules and the accounts the user API lists (harness.core.provision applies it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.core.provision_api import ProvisionError
from harness.core.workspace import Rule
from mock_idp.model import IdPUser

MODES = ("login", "external_id")


def match_rule(user: IdPUser, rules: list[Rule]) -> Rule | None:
    """The first rule whose group the user is in ("*" matches every user)."""
    for rule in rules:
        if rule.group == "*" or rule.group in user.groups:
            return rule
    return None


# -- the plan ---------------------------------------------------------------------------------


@dataclass
class Change:
    action: str  # "create" | "change" | "deactivate"
    login: str
    user: str | None = None  # the IdP username
    fields: dict[str, Any] = field(default_factory=dict)  # create: the account; change: the new values
    before: dict[str, Any] = field(default_factory=dict)  # change: the old values
    reason: str = ""
    error: str = ""  # set when applying failed
    error_code: str = ""

    def describe(self) -> str:
        if self.action == "create":
            scope = ", ".join(self.fields.get("scope", [])) or "none"
            ext = f", External ID {self.fields['external_id']}" if self.fields.get("external_id") else ""
            return f"{self.login}  ({self.fields.get('role')}, scope {scope}{ext})  {self.reason}"
        if self.action == "change":
            parts = []
            for k, new in self.fields.items():
                old = self.before.get(k)
                show = (lambda v: ", ".join(v) or "none") if k == "scope" else repr
                parts.append(f"{k} {show(old)} → {show(new)}")
            return f"{self.login}: {'; '.join(parts)}" + (f"  {self.reason}" if self.reason else "")
        return f"{self.login}  {self.reason}"


@dataclass
class Plan:
    idm_key: str
    mode: str
    creates: list[Change] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    deactivates: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_provisioned: list[str] = field(default_factory=list)  # users matching no rule (and no account)
    notes: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[Change]:
        return [*self.creates, *self.changes, *self.deactivates]

    @property
    def empty(self) -> bool:
        return not self.all

    def lines(self) -> list[str]:
        out = []
        for label, items in (("create", self.creates), ("change", self.changes), ("deactivate", self.deactivates)):
            for c in items:
                out.append(f"  {label:<11}{c.describe()}" + (f"   ✘ {c.error}" if c.error else ""))
        if self.unchanged:
            out.append(f"  unchanged  {', '.join(self.unchanged)}")
        if self.not_provisioned:
            out.append(f"  not provisioned (no rule matches their groups): {', '.join(self.not_provisioned)}")
        out += [f"  note: {n}" for n in self.notes]
        return out


def _generated_login(user: IdPUser, prefix: str, taken: set[str]) -> str:
    initials = user.first_name[:1] + user.last_name[:1]
    if len(initials) < 2:
        initials = user.username[:2]
    base = re.sub(r"[^a-z0-9]", "", f"{initials}".lower()) or "user"
    stem = f"{prefix}_{base}" if prefix else base
    login, n = stem, 2
    while login in taken:
        login, n = f"{stem}{n}", n + 1
    return login


def _prefix(primary_contact: str) -> str:
    head = primary_contact.split("_", 1)[0] if "_" in primary_contact else primary_contact[:4]
    return re.sub(r"[^a-z0-9]", "", head.lower())


def make_plan(
    users: list[IdPUser],
    rules: list[Rule],
    accounts: list[dict[str, Any]],
    *,
    idm_key: str,
    mode: str = "login",
    protected: set[str] | frozenset[str] = frozenset(),
    provisioned: set[str] | frozenset[str] = frozenset(),
    primary_contact: str = "",
    link_external: bool = False,
) -> Plan:
    """What a sync would do. `accounts` as the API lists them; `provisioned`: logins made by earlier syncs.

    `link_external` (login mode, for subscriptions that map by External ID or login): a user with no
    account of that login is linked to the account whose External ID is the username.
    """
    if mode not in MODES:
        raise ProvisionError(f"the mode {mode!r} is not one of {', '.join(MODES)}")
    plan = Plan(idm_key=idm_key, mode=mode)
    by_login = {a["login"]: a for a in accounts}
    taken = set(by_login)
    handled: set[str] = set()
    prefix = _prefix(primary_contact)
    for user in users:
        rule = match_rule(user, rules)
        linked = _linked_accounts(user, accounts, by_login, plan, handled, link_external, provisioned)
        if linked is None:
            continue
        linked = [a for a in linked if a["login"] not in protected]
        if rule is None:
            _plan_without_rule(plan, user, linked, handled)
            continue
        want = _wanted(user, rule, mode)
        why = f"(group {rule.group})" if rule.group != "*" else "(rule *)"
        if linked:
            _plan_updates(plan, user, linked, want, why, handled)
        elif mode == "login" and user.username in protected:
            plan.notes.append(f"{user.username} is the API caller or the primary contact: not provisioned")
        else:
            login = user.username if mode == "login" else _generated_login(user, prefix, taken)
            taken.add(login)
            plan.creates.append(Change("create", login, user.username, fields={"login": login, **want}, reason=why))
    _plan_departures(plan, by_login, provisioned, handled, protected, {u.username for u in users})
    return plan


def _linked_accounts(
    user: IdPUser,
    accounts: list[dict[str, Any]],
    by_login: dict[str, dict[str, Any]],
    plan: Plan,
    handled: set[str],
    link_external: bool,
    provisioned: set[str] | frozenset[str],
) -> list[dict[str, Any]] | None:
    """The accounts linked to `user`; None when several share its External ID (the account picker:
    noted in the plan and left as they are)."""
    if plan.mode == "login" and user.username in by_login:
        return [by_login[user.username]]
    if plan.mode == "login" and not link_external:
        return []
    same = [a for a in accounts if a.get("external_id") == user.username]
    mine = [a for a in same if a["login"] in provisioned]
    if mine:
        return mine[:1]
    if len(same) == 1:
        return same
    if same:
        plan.notes.append(
            f"{user.username}: {len(same)} accounts share the External ID {user.username!r} "
            f"({', '.join(a['login'] for a in same)}): the account picker; left as they are"
        )
        handled.update(a["login"] for a in same)
        return None
    return []


def _plan_without_rule(plan: Plan, user: IdPUser, linked: list[dict[str, Any]], handled: set[str]) -> None:
    """A user matching no rule: not provisioned, and their active accounts deactivated."""
    if not linked:
        plan.not_provisioned.append(user.username)
    for a in linked:
        handled.add(a["login"])
        if a.get("active", True):
            groups = ", ".join(user.groups) or "no groups"
            plan.deactivates.append(
                Change("deactivate", a["login"], user.username, reason=f"({user.username}: {groups} match no rule)")
            )
        else:
            plan.unchanged.append(a["login"])


def _wanted(user: IdPUser, rule: Rule, mode: str) -> dict[str, Any]:
    """The account fields a user matching `rule` should have."""
    want: dict[str, Any] = {
        "role": rule.role,
        "scope": list(rule.scope),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "saml_enabled": True,
        "active": True,
    }
    if mode == "external_id":
        want["external_id"] = user.username
    return want


def _plan_updates(
    plan: Plan, user: IdPUser, linked: list[dict[str, Any]], want: dict[str, Any], why: str, handled: set[str]
) -> None:
    for a in linked:
        handled.add(a["login"])
        diff = {k: v for k, v in want.items() if _norm(a.get(k)) != _norm(v)}
        if diff:
            before = {k: a.get(k) for k in diff}
            plan.changes.append(Change("change", a["login"], user.username, fields=diff, before=before, reason=why))
        else:
            plan.unchanged.append(a["login"])


def _plan_departures(
    plan: Plan,
    by_login: dict[str, dict[str, Any]],
    provisioned: set[str] | frozenset[str],
    handled: set[str],
    protected: set[str] | frozenset[str],
    directory: set[str],
) -> None:
    """Deactivate the still active accounts earlier syncs made for users who left the directory."""
    for login in sorted(provisioned):
        a = by_login.get(login)
        if a is None or login in handled or login in protected:
            continue
        owner = a.get("external_id") if plan.mode == "external_id" else login
        if owner not in directory and a.get("active", True):
            plan.deactivates.append(Change("deactivate", login, owner, reason="(the user left the IdP directory)"))


def _norm(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return list(v)
    return v
