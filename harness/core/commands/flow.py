"""`saml-harness flow sp|idp|logout|idp-logout`: one login (then a logout) with the scripted browser,
printed step by step.

With `--repeat N` (and `--concurrency C`) it becomes a load run: N logins across C concurrent
fresh browsers, reporting latency percentiles, throughput, errors, whose session each browser
ended in, and whether the SP's replay cache and outstanding-request store stayed consistent.
"""

from __future__ import annotations

import argparse
import json
import sys

from harness.core import request_flags
from harness.core.commands.common import (
    fail,
    no_such_user,
    open_read_only,
    pick_subscription,
    workspace_path,
    write_output,
)
from harness.core.flow import FlowResult, run_flow
from harness.core.format import format_step
from harness.core.load import Login, run_load
from harness.core.servers import Servers
from harness.core.terminal import field, visible
from harness.core.workspace import DB_NAME, Workspace
from sp.request_options import OptionError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flow", help="run an SP- or IdP-initiated login or logout with the scripted browser (or many: --repeat)"
    )
    p.add_argument(
        "kind",
        choices=["sp", "idp", "logout", "idp-logout"],
        help="sp: start at the unique login URL; idp: start at the IdP; logout / idp-logout: sign in "
        "SP-initiated, then Single Logout from the SP / from the IdP",
    )
    p.add_argument("--user", help="IdP username (password taken from the workspace)")
    p.add_argument("--users", help="load runs: comma-separated IdP usernames, used round-robin")
    p.add_argument("--password", help="override the password (e.g. to test a wrong one)")
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="idm_key (default: the first subscription)")
    p.add_argument("--pick", help="the account to choose at the account picker")
    p.add_argument(
        "--expect", help="exit 0 when the login is refused with this reason code instead of opening a session"
    )
    p.add_argument("--logout", action="store_true", help="log out at the end (checks the exit URL)")
    p.add_argument("--json", action="store_true", help="print the trace (or the load report) as JSON")
    p.add_argument("--xml", action="store_true", help="print each message's XML too")
    p.add_argument("--report", metavar="FILE", help="also write a self-contained HTML report of the run")
    p.add_argument("--save-trace", metavar="FILE", help="also save the trace as JSON (opens in the app)")
    p.add_argument("--save-har", metavar="FILE", help="also save the trace as a HAR file (any HAR viewer opens it)")
    p.add_argument("--repeat", type=int, metavar="N", help="load run: N logins, each in a fresh browser")
    p.add_argument("--concurrency", type=int, metavar="C", help="load run: C browsers at a time (default 1)")
    p.add_argument("--progress", action="store_true", help="load run: print a dot per login on stderr")
    request_flags.add_arguments(p)
    p.set_defaults(run=run)


def _open(args: argparse.Namespace) -> Workspace:
    """A flow only reads the workspace, so it opens it read-only: it may run beside `serve` or the app."""
    path = workspace_path(args)
    if not (path / DB_NAME).exists():
        Workspace.demo(path).close()
    return open_read_only(args)


def run(args: argparse.Namespace) -> int:
    load = args.repeat is not None or args.concurrency is not None or args.users is not None
    users = [u.strip() for u in (args.users or args.user or "").split(",") if u.strip()]
    if not users:
        return fail("name the IdP user with --user (or --users a,b,c for a load run)")
    if load and (args.password or args.expect or args.logout or args.xml):
        return fail("--password, --expect, --logout and --xml apply to a single flow, not to a load run")
    if load and args.kind not in ("sp", "idp"):
        return fail("load runs are logins: use flow sp or flow idp with --repeat")
    if (args.repeat is not None and args.repeat < 1) or (args.concurrency is not None and args.concurrency < 1):
        return fail("--repeat and --concurrency must be at least 1")
    ws = _open(args)
    try:
        idm_key, problem = pick_subscription(ws, args.idm_key)
        if problem:
            return fail(problem)
        for u in users:
            if ws.user(u) is None:
                return fail(no_such_user(ws, u))
        if args.pick is not None:
            logins = [a.login for a in ws.subscription(idm_key).accounts]
            if args.pick not in logins:
                return fail(f"subscription {idm_key} has no account {args.pick!r} to pick (have: {', '.join(logins)})")
        if load:
            return _load(args, ws, idm_key, users)
        return _single(args, ws, idm_key, users[0])
    finally:
        ws.close()


def _load(args: argparse.Namespace, ws: Workspace, idm_key: str, users: list[str]) -> int:
    def dot(login: Login) -> None:
        print("x" if login.error else ".", end="", file=sys.stderr, flush=True)

    with Servers(ws, sp_port=0, idp_port=0) as servers:
        result = run_load(
            servers,
            kind=args.kind,
            idm_key=idm_key,
            users=users,
            repeat=args.repeat or len(users),
            concurrency=args.concurrency or 1,
            pick=args.pick,
            on_login=dot if args.progress else None,
        )
    if args.progress:
        print(file=sys.stderr)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.report())
    return 0 if result.ok else 1


def _single(args: argparse.Namespace, ws: Workspace, idm_key: str, user: str) -> int:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        try:
            asks = request_flags.apply(servers, idm_key, request_flags.changes(args))
        except OptionError as err:
            return fail(str(err))
        result = run_flow(
            servers,
            kind=args.kind,
            idm_key=idm_key,
            username=user,
            password=args.password,
            pick=args.pick,
            logout=args.logout,
            idp_session=args.idp_session,
        )
    if args.report:
        from harness.core.report import render_html

        html = render_html(result.trace, expected=result.expected, as_expected=result.as_expected)
        write_output(args.report, html)
    if args.save_trace:
        write_output(args.save_trace, result.trace.to_json())
    if args.save_har:
        from harness.core.capture.har_write import trace_to_har

        write_output(args.save_har, json.dumps(trace_to_har(result.trace), indent=1))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.trace.title)
        shown: set[str] = set()
        for step in result.trace.steps:
            print(format_step(step, xml=args.xml, shown=shown))
        login = result.session_login
        print()
        if result.logout is not None:
            print(_logout_line(result))
            for service in result.logout.services:  # each SP's result, as the IdP's final page lists it
                mark = {True: "logged out", False: "NOT logged out", None: "skipped"}[service.ok]
                print(f"  {field(service.name)}: {mark} — {field(service.detail)}")
        elif login:
            print(f"RESULT: session opened for {login} (subscription {result.whoami.get('subscription')}, via saml)")
        else:
            print(f"RESULT: no session — {result.final_reason or result.trace.outcome_detail or 'refused'}")
            if result.final_reason == "status-not-success":  # the IdP's StatusCode, sub-code and message
                print(f"  {visible(result.trace.outcome_detail)}")
        print(f"expected: {result.expected.outcome} ({result.expected.explanation})")
        if args.kind == "sp":
            asked = "yes" if result.idp_asked_credentials else "no"
            print(f"AuthnRequest asked for: {asks}; the IdP asked for credentials: {asked}")
    if args.expect:
        met = result.session_login is None and result.final_reason == args.expect
        if not args.json:
            got = f"a session for {login}" if login else f"refused {result.final_reason or 'with no reason code'}"
            print(f"--expect {args.expect}: " + ("met" if met else f"NOT met: the login ended in {got}"))
        return 0 if met else 1
    return 0 if result.session_login and result.as_expected else 1


def _logout_line(result: FlowResult) -> str:
    out = result.logout
    if result.session_login is None:
        return f"RESULT: no session to log out of — {result.final_reason or result.trace.outcome_detail or 'refused'}"
    if out.ok:
        landing = out.landing_url.split("?")[0]
        return f"RESULT: {result.session_login} logged out of the SP and the IdP; landed on {landing}"
    sides = f"SP session {'ended' if out.sp_session_ended else 'OPEN'}, IdP session " + (
        "ended" if out.idp_session_ended else "OPEN"
    )
    return f"RESULT: the logout did not complete — {out.detail} ({sides})"
