"""`saml-harness checklist`: the guide's "How to test", step by step, checked by the harness.

saml-harness checklist --user alice [--subscription KEY] [--report out.html]   (demo, mock IdP)
saml-harness checklist --interactive [--account LOGIN] [--timeout 300]        (a real browser)
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

from harness.core.checklist import FAIL, ChecklistReport, CheckStep, format_report, run_demo, run_interactive
from harness.core.commands.common import fail, no_such_user, open_read_only, pick_subscription
from harness.core.format import format_step
from harness.core.onboarding import set_saml
from harness.core.servers import Servers
from harness.core.trace import Step, Trace

MARKS = {"pass": "✔", "fail": "✘", "skip": "–", "pending": "?"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("checklist", help="run the onboarding test procedure and check each step")
    p.add_argument("--user", help="the IdP user to sign in as (demo mode, against the mock IdP)")
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="idm_key (default: the first subscription)")
    p.add_argument("--account", help="the SP account the session should open for (default: derived from the user)")
    p.add_argument("--password", help="override the user's password (demo mode)")
    p.add_argument(
        "--interactive",
        action="store_true",
        help="open the unique URL in your web browser and record what it does (a real IdP works too)",
    )
    p.add_argument("--timeout", type=float, default=300, help="interactive: seconds to wait for the login")
    p.add_argument("--no-open", action="store_true", help="interactive: print the URL instead of opening a browser")
    p.add_argument("--pace", type=float, default=0.0, help="demo: seconds between steps, for presenting")
    p.add_argument(
        "--enable-saml", action="store_true", help="act as the Manager first: enable SAML for the test account"
    )
    p.add_argument("--external-id", help="act as the Manager first: set the test account's External ID")
    p.add_argument("--report", metavar="FILE", help="write the onboarding test report (HTML)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--trace", action="store_true", help="print the trace steps too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ws = open_read_only(args, write=args.enable_saml or args.external_id is not None)  # the Manager's changes write
    try:
        return _run(args, ws)
    finally:
        ws.close()


def _run(args: argparse.Namespace, ws) -> int:
    idm_key, problem = pick_subscription(ws, args.idm_key)
    if problem:
        return fail(problem)
    if not args.interactive and not args.user:
        return fail("give --user (demo mode against the mock IdP) or --interactive (a real browser)")
    if args.user and ws.user(args.user) is None and not args.interactive:
        return fail(no_such_user(ws, args.user))
    if args.enable_saml or args.external_id is not None:
        login = args.account or args.user
        if not login:
            return fail("--enable-saml/--external-id need --account (or --user when the login is the username)")
        acct = set_saml(
            ws, idm_key, login, True if args.enable_saml else _saml_of(ws, idm_key, login), external_id=args.external_id
        )
        print(
            f"Manager: SAML {'enabled' if acct.saml_enabled else 'disabled'} for {acct.login}"
            + (f", External ID {acct.external_id!r}" if acct.external_id else "")
        )
    live = not args.json and (args.interactive or args.pace > 0 or args.trace)

    def on_check(report: ChecklistReport, step: CheckStep) -> None:
        if live:
            print(f"{MARKS[step.status]} {step.title}: {step.reason}", flush=True)
            if step.status == FAIL and step.fix:
                print(f"    fix ({step.side} side): {step.fix}", flush=True)

    shown: set[str] = set()

    def on_trace(trace: Trace, step: Step) -> None:
        if live and args.trace:
            print(format_step(step, shown=shown), flush=True)

    if args.interactive:
        ports = {}
    else:
        ports = {"sp_port": 0, "idp_port": 0}
    with Servers(ws, **ports) as servers:
        for note in servers.notes:
            print(f"note: {note}", file=sys.stderr)
        if args.interactive:

            def opener(url: str) -> None:
                """The URL carries this recording's token: only the browser that opens it is recorded."""
                print(f"open {url} in your browser and sign in; waiting up to {args.timeout:.0f} s …", flush=True)
                if not args.no_open:
                    webbrowser.open(url)

            report = run_interactive(
                servers,
                idm_key=idm_key,
                account=args.account,
                timeout=args.timeout,
                on_check=on_check,
                on_trace=on_trace,
                opener=opener,
            )
        else:
            report = run_demo(
                servers,
                idm_key=idm_key,
                username=args.user,
                account=args.account,
                password=args.password,
                pace=args.pace,
                on_check=on_check,
                on_trace=on_trace,
            )
    if args.json:
        print(report.to_json())
    else:
        print()
        print(format_report(report))
    if args.report:
        from harness.core.onboarding_report import write_report

        path = write_report(report, Path(args.report))
        print(f"report written to {path}")
    return 0 if report.passed else 1


def _saml_of(ws, idm_key: str, login: str) -> bool:
    sub = ws.subscription(idm_key)
    acct = next((a for a in sub.accounts if a.login == login), None) if sub else None
    return bool(acct and acct.saml_enabled)
