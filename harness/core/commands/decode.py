"""`saml-harness decode`: any SAML message (raw, base64, deflated, URL, HTML form) in plain words."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from harness.core.capture.load import looks_like_capture
from harness.core.commands.common import fail
from harness.core.commands.decode_capture import register_options, run_capture
from harness.core.inspect_message import format_message, inspect


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", help="decode and check a SAML message")
    p.add_argument("input", nargs="?", default="-", help="the message, a file containing it, or - for stdin")
    p.add_argument("--cert", help="PEM certificate to check signatures against")
    p.add_argument("--xml", action="store_true", help="print the pretty XML too")
    p.add_argument("--json", action="store_true", help="print the decoded messages as JSON")
    register_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.input == "-":
        text = sys.stdin.read()
    elif len(args.input) < 4096 and Path(args.input).is_file():
        data = Path(args.input).read_bytes()
        if looks_like_capture(data):
            return run_capture(args, data)
        text = data.decode("utf-8", "replace")
    else:
        text = args.input
    cert = None
    if args.cert:
        try:
            cert = Path(args.cert).read_bytes()
        except OSError as err:
            return fail(f"cannot read the certificate: {err}")
    messages = inspect(text, cert)
    if args.json:
        print(json.dumps([asdict(m) for m in messages], indent=2))
    else:
        for m in messages:
            print(format_message(m, xml=args.xml))
            print()
    return 1 if all(m.error for m in messages) else 0
