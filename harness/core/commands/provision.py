"""`saml-harness provision`: sync SP accounts from the IdP directory through the SP's user API.

saml-harness provision [--subscription KEY | --all] [--mode login|external_id] [--dry-run]
saml-harness provision --sp-url URL --login MANAGER --password PW [--dry-run]
"""

from __future__ import annotations

import argparse
import contextlib

from harness.core.commands.common import NO_SUBSCRIPTION, fail, open_workspace
from harness.core.provision import (
    MODES,
    ProvisionError,
    UserAPI,
    default_mode,
    manager_credentials,
    sync,
)
from harness.core.servers import Servers
from harness.core.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "provision",
        help="create, change and deactivate SP accounts from the IdP directory and the group rules",
        description="Reads the IdP directory (the workspace's users), applies the group → role/scope rules (first "
        "match wins; users matching none are not provisioned) and syncs the accounts through the SP's user API.",
    )
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="idm_key (default: the first subscription)")
    p.add_argument("--all", action="store_true", help="every subscription of the workspace, one after the other")
    p.add_argument(
        "--mode",
        choices=MODES,
        help="link users by login (default) or by External ID (default: the subscription's mapping)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan only")
    p.add_argument("--sp-url", help="an SP that runs already (default: start the embedded SP on a free port)")
    p.add_argument("--login", help="a Manager's login for the user API (default: the primary contact)")
    p.add_argument("--password", help="that Manager's password")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.sp_url and not (args.login and args.password):
        return fail("--sp-url needs --login and --password (the user API takes a login and password, never SAML)")
    ws = open_workspace(args)
    try:
        return _run(args, ws)
    finally:
        ws.close()


def _run(args: argparse.Namespace, ws: Workspace) -> int:
    subs = ws.subscriptions()
    if args.all:
        keys = [s.idm_key for s in subs]
    elif args.idm_key:
        keys = [args.idm_key]
    elif args.sp_url:
        keys = [None]
    elif subs:
        keys = [subs[0].idm_key]
    else:
        return fail(NO_SUBSCRIPTION)
    if not ws.rules():
        print("note: the workspace has no provisioning rules, so no user is provisioned (add group → role rules)")
    code = 0
    with contextlib.ExitStack() as stack:
        if args.sp_url:
            base, target = args.sp_url, args.sp_url
        else:
            servers = stack.enter_context(Servers(ws, sp_port=0, idp_port=0))
            base, target = servers.sp_base, "local"
        for key in keys:
            try:
                code = max(code, _one(args, ws, base, target, key))
            except ProvisionError as err:
                code = max(code, fail(f"{key or args.sp_url}: {err}" + (f" ({err.code})" if err.code else "")))
    return code


def _one(args: argparse.Namespace, ws: Workspace, base: str, target: str, key: str | None) -> int:
    if args.login:
        login, password = args.login, args.password or ""
    else:
        if ws.subscription(key) is None:
            raise ProvisionError(f"no subscription has the idm_key {key!r}")
        login, password = manager_credentials(ws, key)
    mode = args.mode or (default_mode(ws, key) if key else "login")
    api = UserAPI(base, login, password)
    try:
        out = sync(ws, api, idm_key=key, mode=mode, dry_run=args.dry_run, target=target)
    finally:
        api.close()
    sub = ws.subscription(out.plan.idm_key)
    name = sub.name if sub and sub.name else out.plan.idm_key
    linked = "login (or External ID)" if mode == "login" and sub is not None and sub.mapping_mode == "either" else mode
    print(
        f"subscription {name} ({out.plan.idm_key}): users linked by {linked}, {len(ws.rules())} rules, "
        f"as {login} through {base}/api/2.0/fo/user/"
    )
    lines = out.plan.lines()
    print("\n".join(lines) if lines else "  nothing to do")
    print(out.summary())
    return 1 if out.failed else 0
