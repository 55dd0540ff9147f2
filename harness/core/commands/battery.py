"""`saml-harness battery`: every attack and fault scenario against the embedded SP or any SP.

Prints one row per scenario (expected reason codes; observed status, code and session;
verdict), or JSON with `--json`; `--diff NAME` adds a unified diff of that scenario's bad message
against the legitimate one, with what changed in words. Exits 1 when any forgery was accepted, the SP crashed or
fetched an attacker's URL, or the legitimate baseline was refused (then no row can be trusted);
2 when the battery cannot run at all.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

import requests

from harness.core.battery import (
    BatteryError,
    Report,
    Result,
    external_target,
    no_diff_reason,
    result_diff,
    run_embedded,
    run_external,
)
from harness.core.commands.common import fail, open_read_only
from harness.core.message_diff import ADDED, HEADER, HUNK, REMOVED, MessageDiff
from harness.core.workspace import Workspace
from mock_idp.scenarios import CATALOGUE, Scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "battery",
        help="run the attack and fault scenarios against the embedded SP (default) or any SP",
        description="Run the negative scenario catalogue against an SP and report what it refused, "
        "accepted or crashed on. Without --sp-acs/--sp-metadata/--login-url the embedded SP is tested.",
    )
    target = p.add_argument_group("another SP (it must trust the workspace's mock IdP)")
    target.add_argument("--sp-acs", metavar="URL", help="the SP's AssertionConsumerService URL (HTTP-POST)")
    target.add_argument("--sp-entity-id", metavar="ID", help="the SP's EntityID (the Audience)")
    target.add_argument("--sp-metadata", metavar="FILE|URL", help="read the EntityID and ACS from the SP's metadata")
    target.add_argument(
        "--login-url", metavar="URL", help="the SP's login URL: each scenario answers a real AuthnRequest from it"
    )
    target.add_argument(
        "--session-url", metavar="URL", help="a page that answers 2xx only when logged in (else 2xx/3xx = accepted)"
    )
    target.add_argument(
        "--no-unsolicited",
        action="store_true",
        help="the SP does not allow IdP-initiated logins (runs the scenarios that need that)",
    )
    target.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request (default 15)")
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="embedded SP: the subscription to attack")
    p.add_argument("--user", help="the attacker's own IdP user (default: the first that can log in)")
    p.add_argument("--victim", help="the IdP user forgeries impersonate (default: another that can log in)")
    p.add_argument(
        "--only", action="append", metavar="NAME|FAMILY", help="run only these scenarios or families (repeatable)"
    )
    p.add_argument(
        "--diff",
        metavar="NAME",
        help="print a diff of this scenario's bad message against the legitimate one "
        "(runs only it, with the baseline, unless --only says more)",
    )
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--xml", action="store_true", help="with --json: include each bad message's XML")
    p.set_defaults(run=run)


def _selected(only: list[str] | None) -> list[Scenario]:
    if not only:
        return list(CATALOGUE)
    wanted = set(only)
    chosen = [s for s in CATALOGUE if s.name in wanted or s.family in wanted]
    known = {s.name for s in CATALOGUE} | {s.family for s in CATALOGUE}
    unknown = sorted(wanted - known)
    if unknown:
        raise BatteryError(f"no scenario or family named {', '.join(unknown)} (see --list)")
    return chosen


def _diff_scenario(name: str | None) -> Scenario | None:
    if not name:
        return None
    found = next((s for s in CATALOGUE if s.name == name), None)
    if found is None:
        close = difflib.get_close_matches(name, [s.name for s in CATALOGUE], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see --list)"
        raise BatteryError(f"no scenario named {name}{hint}")
    return found


_ANSI = {ADDED: "\033[32m", REMOVED: "\033[31m", HUNK: "\033[90m", HEADER: "\033[1m"}


def format_diff(name: str, diff: MessageDiff | None, reason: str = "", *, color: bool = False) -> str:
    """The diff of one scenario's message for the terminal (+ green, - red, @@ grey when `color`)."""
    lines = [f"Diff of {name} against the legitimate message"]
    if diff is None:
        lines.append(reason)
        return "\n".join(lines)
    lines.append(diff.summary)
    lines.extend(f"({note})" for note in diff.notes)
    for line in diff.lines:
        code = _ANSI.get(line.kind) if color else None
        lines.append(f"{code}{line.text}\033[0m" if code else line.text)
    return "\n".join(lines)


def _metadata(source: str, timeout: float) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            r = requests.get(source, timeout=timeout)
            r.raise_for_status()
        except requests.RequestException as err:
            raise BatteryError(f"cannot fetch the SP metadata from {source}: {err}") from err
        return r.content
    try:
        return Path(source).expanduser().read_bytes()
    except OSError as err:
        raise BatteryError(f"cannot read the SP metadata {source}: {err.strerror or err}") from err


def _list() -> int:
    width = max(len(s.name) for s in CATALOGUE)
    family = None
    for s in CATALOGUE:
        if s.family != family:
            family = s.family
            print(f"\n[{family}]")
        print(f"  {s.name:<{width}}  {s.summary}")
        print(f"  {'':<{width}}  rule: {s.rule}")
        print(f"  {'':<{width}}  safe SP: {s.safe_sp}")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _session(r: Result) -> str:
    o = r.observed
    if o.error or o.status is None:
        return "-"
    if o.session:
        return o.login or "yes"
    return "no"


def format_table(report: Report) -> str:
    rows = [("scenario", "expected", "status", "code", "session", "verdict")]
    for r in report.results:
        o = r.observed
        status = o.error or (str(o.status) if o.status is not None else "-")
        code = o.reason or "-"
        if r.code_ok is False:
            code += " (!)"
        rows.append((r.scenario, _cut("|".join(r.expected), 44), status, code, _session(r), r.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_summary(report: Report) -> str:
    counts = ", ".join(f"{n} {v}" for v, n in sorted(report.counts.items(), key=lambda kv: -kv[1]))
    lines = [f"{len(report.results)} rows in {report.seconds:.1f} s against {report.target.get('name')}: {counts}"]
    for r in report.bad:
        detail = r.note or r.observed.short()
        lines.append(f"  {r.verdict}: {r.scenario} — {r.rule} ({detail})")
    odd = [r for r in report.results if r.code_ok is False and not r.bad]
    for r in odd:
        lines.append(f"  (!) {r.scenario}: refused with {r.observed.reason}, expected {', '.join(r.expected)}")
    skipped = [r for r in report.results if r.verdict == "skipped"]
    for r in skipped:
        lines.append(f"  skipped {r.scenario}: {r.note}")
    sent = [r for r in report.results if r.verdict != "skipped"]
    if sent and all(r.observed.error == "connection error" for r in sent):
        lines.append("RESULT: the SP could not be reached (connection error): nothing was judged; is it running?")
    else:
        lines.append("RESULT: " + ("every scenario was handled safely" if not report.bad else "the SP is NOT safe"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "list", False):
        return _list()
    try:
        only = getattr(args, "only", None)
        diff_of = _diff_scenario(getattr(args, "diff", None))
        scenarios = _selected(only)
        if diff_of is not None and not only:
            scenarios = [diff_of]
        elif diff_of is not None and diff_of not in scenarios:
            scenarios.append(diff_of)
        ws = open_read_only(args)  # the battery only reads the workspace
        try:
            report = _run(args, ws, scenarios)
        finally:
            ws.close()
    except BatteryError as err:
        return fail(str(err))
    row = report.result(diff_of.name) if diff_of is not None else None
    diff = result_diff(row, report.legitimate_xml) if row is not None else None
    if getattr(args, "json", False):
        data = report.to_dict(xml=getattr(args, "xml", False))
        if row is not None:
            data["diff"] = {"scenario": row.scenario, **(diff.to_dict() if diff else {"reason": no_diff_reason(row)})}
        print(json.dumps(data, indent=2))
    else:
        print(format_table(report))
        if row is not None:
            print()
            print(format_diff(row.scenario, diff, no_diff_reason(row), color=sys.stdout.isatty()))
        print()
        print(format_summary(report))
    sys.stdout.flush()
    return report.exit_code


def _run(args: argparse.Namespace, ws: Workspace, scenarios: list[Scenario]) -> Report:
    external = any(getattr(args, k, None) for k in ("sp_acs", "sp_metadata", "login_url"))
    if not external:
        return run_embedded(
            ws,
            idm_key=getattr(args, "idm_key", None),
            user=getattr(args, "user", None),
            victim=getattr(args, "victim", None),
            scenarios=scenarios,
        )
    timeout = getattr(args, "timeout", 15.0) or 15.0
    metadata = _metadata(args.sp_metadata, timeout) if getattr(args, "sp_metadata", None) else None
    target, context = external_target(
        ws,
        acs_url=getattr(args, "sp_acs", None),
        entity_id=getattr(args, "sp_entity_id", None),
        login_url=getattr(args, "login_url", None),
        metadata=metadata,
        session_url=getattr(args, "session_url", None),
        unsolicited_allowed=False if getattr(args, "no_unsolicited", False) else None,
        user=getattr(args, "user", None),
        victim=getattr(args, "victim", None),
        timeout=timeout,
    )
    return run_external(target, context, scenarios=scenarios)
