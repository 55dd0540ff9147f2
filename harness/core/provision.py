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

The plan is worked out in `provision_plan`; the user API client is `provision_api`. This module
applies a plan and remembers what it provisioned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.durable import PRIVATE_FILE, atomic_write
from harness.core.provision_api import ProvisionError, UserAPI
from harness.core.provision_plan import MODES, Change, Plan, make_plan, match_rule
from harness.core.workspace import Workspace

__all__ = [
    "MODES",
    "Change",
    "Outcome",
    "Plan",
    "ProvisionError",
    "UserAPI",
    "apply_plan",
    "default_mode",
    "load_state",
    "make_plan",
    "manager_credentials",
    "match_rule",
    "save_state",
    "sync",
]

STATE_NAME = "provisioning.json"
SYNCED = ("external_id", "role", "scope", "first_name", "last_name", "email", "saml_enabled", "active")


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
