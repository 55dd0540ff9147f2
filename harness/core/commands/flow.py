"""`saml-harness flow sp|idp`: one login with the scripted browser, printed step by step."""

from __future__ import annotations

import argparse
import json

from harness.core.commands.common import fail, open_workspace
from harness.core.flow import run_flow
from harness.core.format import format_step
from harness.core.servers import Servers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flow", help="run an SP- or IdP-initiated login with the scripted browser")
    p.add_argument("kind", choices=["sp", "idp"], help="sp: start at the unique login URL; idp: start at the IdP")
    p.add_argument("--user", required=True, help="IdP username (password taken from the workspace)")
    p.add_argument("--password", help="override the password (e.g. to test a wrong one)")
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="idm_key (default: the first subscription)")
    p.add_argument("--pick", help="the account to choose at the account picker")
    p.add_argument("--expect", help="exit 0 when the login is refused with this reason code instead of opening a session")
    p.add_argument("--logout", action="store_true", help="log out at the end (checks the exit URL)")
    p.add_argument("--json", action="store_true", help="print the trace as JSON")
    p.add_argument("--xml", action="store_true", help="print each message's XML too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    subs = ws.subscriptions()
    if not subs:
        return fail("the workspace has no subscription; create one with `saml-harness onboard`")
    idm_key = args.idm_key or subs[0].idm_key
    if ws.subscription(idm_key) is None:
        return fail(f"no subscription has the idm_key {idm_key!r} (have: {', '.join(s.idm_key for s in subs)})")
    if ws.user(args.user) is None:
        return fail(f"the mock IdP has no user {args.user!r} (have: {', '.join(u.username for u in ws.users())})")
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        result = run_flow(servers, kind=args.kind, idm_key=idm_key, username=args.user, password=args.password,
                          pick=args.pick, logout=args.logout)
    ws.close()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.trace.title)
        shown: set[str] = set()
        for step in result.trace.steps:
            print(format_step(step, xml=args.xml, shown=shown))
        login = result.session_login
        print()
        if login:
            print(f"RESULT: session opened for {login} (subscription {result.whoami.get('subscription')}, via saml)")
        else:
            print(f"RESULT: no session — {result.final_reason or result.trace.outcome_detail or 'refused'}")
        print(f"expected: {result.expected.outcome} ({result.expected.explanation})")
    if args.expect:
        return 0 if (result.session_login is None and result.final_reason == args.expect) else 1
    return 0 if result.session_login and result.as_expected else 1
