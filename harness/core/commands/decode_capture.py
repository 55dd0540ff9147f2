"""`saml-harness decode capture.har`: a browser capture (HAR or SAML-tracer) as a checked trace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.core.capture.exchange import CaptureError
from harness.core.capture.from_workspace import expectations_from_workspace
from harness.core.capture.har_write import trace_to_har
from harness.core.capture.load import read_capture
from harness.core.capture.to_trace import capture_to_trace
from harness.core.commands.common import fail, open_read_only, pick_subscription, write_output
from harness.core.format import format_step
from harness.core.trace import Trace
from harness.core.trace_check import MAX_FILE_BYTES, TraceFileError


def register_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subscription",
        metavar="IDM_KEY",
        help="a capture: check its messages against this subscription's questionnaire (and certificate)",
    )
    p.add_argument("--save-trace", metavar="FILE", help="a capture: save it as a trace (opens in the app)")
    p.add_argument("--save-har", metavar="FILE", help="a capture: write it back as HAR")


def run_capture(args: argparse.Namespace, data: bytes) -> int:
    cert = None
    if args.cert:
        try:
            cert = Path(args.cert).read_bytes()
        except OSError as err:
            return fail(f"cannot read the certificate: {err}")
    expectations = None
    if args.subscription:
        ws = open_read_only(args)
        key, problem = pick_subscription(ws, args.subscription)
        if problem:
            return fail(problem)
        expectations = expectations_from_workspace(ws, key)
    try:
        capture = read_capture(data)
        trace = capture_to_trace(
            capture,
            trusted_cert=cert,
            expectations=expectations,
            title=f"{capture.format} capture {Path(args.input).name}",
        )
    except CaptureError as err:
        return fail(str(err))
    return _print_trace(args, trace)


def looks_like_saved_trace(data: bytes) -> bool:
    """A trace this harness saved (`--save-trace`, the app's File > Save trace): JSON with steps."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b'"steps"' in data[:MAX_FILE_BYTES]


def run_saved_trace(args: argparse.Namespace, data: bytes) -> int:
    """A saved trace is shown as it was recorded (its checks as the servers made them)."""
    if args.cert or args.key or args.subscription:
        return fail(
            "a saved trace is shown as recorded; to check a step again, re-send it: saml-harness send FILE:STEP"
        )
    try:
        trace = Trace.from_json(data.decode("utf-8", "replace"))
    except TraceFileError as err:
        return fail(str(err))
    return _print_trace(args, trace)


def _print_trace(args: argparse.Namespace, trace: Trace) -> int:
    if args.save_trace:
        write_output(args.save_trace, trace.to_json())
    if args.save_har:
        write_output(args.save_har, json.dumps(trace_to_har(trace), indent=1))
    if args.json:
        print(trace.to_json())
    else:
        shown: set[str] = set()
        print(trace.title)
        for step in trace.steps:
            print(format_step(step, xml=args.xml, shown=shown))
        detail = f" — {trace.outcome_detail}" if trace.outcome_detail else ""
        print(f"outcome: {trace.outcome or 'incomplete'}{detail}")
    return 1 if _failed(trace) else 0


def _failed(trace: Trace) -> bool:
    return any(
        s.verdict in ("refused", "error") or any(c.ok is False for c in s.checks) or (s.message and s.message.error)
        for s in trace.steps
    )
