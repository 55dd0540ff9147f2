"""User provisioning (the guide's "User Provisioning"): IdP directory + group rules → SP accounts.

The IdP directory is the workspace's users. Each user gets the role and scope of the first rule
whose group they belong to (group "*" matches everyone); a user matching no rule is not
provisioned. Accounts are synced through the SP's user API (HTTP Basic with a Manager's login and
password, never SAML), so the same code provisions the embedded SP or any SP with that API.

Two ways to link a directory user to an account, as the guide offers:
  login        the account's login is the IdP username
  external_id  the account's External ID is the IdP username; its login is generated
               (the primary contact's prefix and the user's initials, like abcd_jd)

What the sync touches: accounts it created earlier (remembered in the workspace's
provisioning.json) and accounts linked to a directory user. It never touches the caller's or the
primary contact's account, and leaves alone an identity that already has several accounts (the
account picker). A linked account whose user left every mapped group, or a provisioned account
whose user left the directory, is deactivated.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from harness.core.durable import PRIVATE_FILE, atomic_write
from harness.core.workspace import Rule, Workspace
from mock_idp.model import IdPUser
from sp.contract import REASON_HEADER, Route

STATE_NAME = "provisioning.json"
MODES = ("login", "external_id")
SYNCED = ("external_id", "role", "scope", "first_name", "last_name", "email", "saml_enabled", "active")


class ProvisionError(Exception):
    """The API refused, or provisioning cannot start; `code` is the SP's reason code when there is one."""

    def __init__(self, message: str, code: str = "", status: int = 0):
        super().__init__(message)
        self.code, self.status = code, status


# -- the user API client ----------------------------------------------------------------------


class UserAPI:
    """`/api/2.0/fo/user/` with HTTP Basic auth; writes carry X-Requested-With, as the API wants."""

    def __init__(self, base_url: str, login: str, password: str, *, timeout: float = 30.0):
        self.url = base_url.rstrip("/") + Route.USER_API
        self.session = requests.Session()
        self.session.auth = (login, password)
        self.session.headers["User-Agent"] = "saml-harness provisioning"
        self.timeout = timeout
        self.login = login

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, data: dict[str, str] | None = None, params: dict[str, str] | None = None) -> dict:
        headers = {"X-Requested-With": "saml-harness"} if method == "POST" else {}
        try:
            r = self.session.request(method, self.url, data=data, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise ProvisionError(f"the user API at {self.url} cannot be reached: {err}") from err
        if r.status_code >= 400:
            code = r.headers.get(REASON_HEADER, "")
            raise ProvisionError(_refusal_text(r.text) or f"HTTP {r.status_code}", code, r.status_code)
        try:
            return r.json()
        except ValueError as err:
            raise ProvisionError(f"the user API answered something that is not JSON (HTTP {r.status_code})") from err

    def list(self) -> tuple[str, list[dict[str, Any]]]:
        body = self._call("GET", params={"action": "list"})
        return body.get("subscription", ""), body.get("accounts", [])

    def add(self, fields: dict[str, Any]) -> dict:
        return self._call("POST", {"action": "add", **_form(fields)})["account"]

    def edit(self, login: str, fields: dict[str, Any]) -> dict:
        return self._call("POST", {"action": "edit", "login": login, **_form(fields)})["account"]

    def deactivate(self, login: str) -> dict:
        return self._call("POST", {"action": "deactivate", "login": login})["account"]


def _form(fields: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in fields.items():
        if isinstance(v, bool):
            out[k] = "1" if v else "0"
        elif isinstance(v, list):
            out[k] = ",".join(v)
        else:
            out[k] = str(v)
    return out


def _refusal_text(page: str) -> str:
    """The sentence of an SP refusal page (its `reason` paragraph), without HTML."""
    m = re.search(r'<p id="reason">(.*?)</p>', page, re.S)
    if m is None:
        paras = re.findall(r"<p>(.*?)</p>", page, re.S)
        text = paras[-1] if paras else ""
    else:
        text = m.group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


# -- rules ------------------------------------------------------------------------------------


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
    directory = {u.username for u in users}
    prefix = _prefix(primary_contact)
    for user in users:
        rule = match_rule(user, rules)
        if mode == "login" and user.username in by_login:
            linked = [by_login[user.username]]
        elif mode == "login" and not link_external:
            linked = []
        else:
            same = [a for a in accounts if a.get("external_id") == user.username]
            mine = [a for a in same if a["login"] in provisioned]
            if mine:
                linked = mine[:1]
            elif len(same) == 1:
                linked = same
            elif same:
                plan.notes.append(
                    f"{user.username}: {len(same)} accounts share the External ID {user.username!r} "
                    f"({', '.join(a['login'] for a in same)}): the account picker; left as they are"
                )
                handled.update(a["login"] for a in same)
                continue
            else:
                linked = []
        linked = [a for a in linked if a["login"] not in protected]
        if rule is None:
            if not linked:
                plan.not_provisioned.append(user.username)
            for a in linked:
                handled.add(a["login"])
                if a.get("active", True):
                    groups = ", ".join(user.groups) or "no groups"
                    plan.deactivates.append(
                        Change(
                            "deactivate", a["login"], user.username, reason=f"({user.username}: {groups} match no rule)"
                        )
                    )
                else:
                    plan.unchanged.append(a["login"])
            continue
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
        why = f"(group {rule.group})" if rule.group != "*" else "(rule *)"
        if not linked:
            if mode == "login" and user.username in protected:
                plan.notes.append(f"{user.username} is the API caller or the primary contact: not provisioned")
                continue
            login = user.username if mode == "login" else _generated_login(user, prefix, taken)
            taken.add(login)
            plan.creates.append(Change("create", login, user.username, fields={"login": login, **want}, reason=why))
            continue
        for a in linked:
            handled.add(a["login"])
            diff = {k: v for k, v in want.items() if _norm(a.get(k)) != _norm(v)}
            if diff:
                before = {k: a.get(k) for k in diff}
                plan.changes.append(Change("change", a["login"], user.username, fields=diff, before=before, reason=why))
            else:
                plan.unchanged.append(a["login"])
    for login in sorted(provisioned):
        a = by_login.get(login)
        if a is None or login in handled or login in protected:
            continue
        owner = a.get("external_id") if mode == "external_id" else login
        if owner not in directory and a.get("active", True):
            plan.deactivates.append(Change("deactivate", login, owner, reason="(the user left the IdP directory)"))
    return plan


def _norm(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return list(v)
    return v


# -- applying ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    plan: Plan
    applied: bool
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    failed: list[Change] = field(default_factory=list)

    def summary(self) -> str:
        if not self.applied:
            return (
                f"dry run: would create {len(self.plan.creates)}, change {len(self.plan.changes)}, "
                f"deactivate {len(self.plan.deactivates)}"
            )
        text = f"created {len(self.created)}, changed {len(self.changed)}, deactivated {len(self.deactivated)}"
        return text + (f"; {len(self.failed)} failed" if self.failed else "")


def apply_plan(api: UserAPI, plan: Plan) -> Outcome:
    out = Outcome(plan=plan, applied=True)
    for c in plan.all:
        try:
            if c.action == "create":
                api.add(c.fields)
                out.created.append(c.login)
            elif c.action == "change":
                api.edit(c.login, c.fields)
                out.changed.append(c.login)
            else:
                api.deactivate(c.login)
                out.deactivated.append(c.login)
        except ProvisionError as err:
            c.error, c.error_code = (f"{err.code}: {err}" if err.code else str(err)), err.code
            out.failed.append(c)
    return out


def _state_path(workspace: Workspace) -> Path:
    return workspace.path / STATE_NAME


def load_state(workspace: Workspace, target: str) -> set[str]:
    try:
        data = json.loads(_state_path(workspace).read_text())
    except (FileNotFoundError, ValueError):
        return set()
    return set(data.get(target, []))


def save_state(workspace: Workspace, target: str, logins: set[str]) -> None:
    path = _state_path(workspace)
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        data = {}
    data[target] = sorted(logins)
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True).encode(), PRIVATE_FILE)


def sync(
    workspace: Workspace,
    api: UserAPI,
    *,
    idm_key: str | None = None,
    mode: str = "login",
    dry_run: bool = False,
    target: str = "local",
) -> Outcome:
    """Plan against the accounts the API lists, then apply (unless `dry_run`)."""
    listed_key, accounts = api.list()
    if idm_key and listed_key and listed_key != idm_key:
        raise ProvisionError(
            f"{api.login} belongs to subscription {listed_key}, not {idm_key}: use a Manager of {idm_key}"
        )
    key = idm_key or listed_key
    sub = workspace.subscription(key)
    protected = {api.login} | ({sub.primary_contact} if sub and sub.primary_contact else set())
    state_key = f"{target}#{key}"
    provisioned = load_state(workspace, state_key)
    plan = make_plan(
        workspace.users(),
        workspace.rules(),
        accounts,
        idm_key=key,
        mode=mode,
        protected=protected,
        provisioned=provisioned,
        primary_contact=sub.primary_contact if sub else "",
        link_external=bool(sub and sub.mapping_mode == "either"),
    )
    if dry_run:
        return Outcome(plan=plan, applied=False)
    out = apply_plan(api, plan)
    save_state(
        workspace, state_key, (provisioned | set(out.created)) & ({a["login"] for a in accounts} | set(out.created))
    )
    return out


def manager_credentials(workspace: Workspace, idm_key: str) -> tuple[str, str]:
    """A Manager of the subscription with an API password (the primary contact first)."""
    sub = workspace.subscription(idm_key)
    if sub is None:
        raise ProvisionError(f"no subscription has the idm_key {idm_key!r}")
    managers = [a for a in sub.accounts if a.role == "Manager" and a.password and a.active]
    managers.sort(key=lambda a: a.login != sub.primary_contact)
    if not managers:
        raise ProvisionError(
            f"subscription {sub.name or idm_key} has no active Manager with an API password: give --login/--password"
        )
    return managers[0].login, managers[0].password


def default_mode(workspace: Workspace, idm_key: str) -> str:
    sub = workspace.subscription(idm_key)
    return "external_id" if sub is not None and sub.mapping_mode == "external_id" else "login"
