"""`saml-harness decode`: any SAML message (raw, base64, deflated, URL, HTML form) in plain words."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from harness.core.capture.load import looks_like_capture
from harness.core.commands.common import fail
from harness.core.commands.decode_capture import looks_like_saved_trace, register_options, run_capture, run_saved_trace
from harness.core.inspect_message import format_message, inspect
from harness.core.report import signature_ok
from harness.core.trace import Message

EXIT_OK, EXIT_UNDECODABLE, EXIT_USAGE, EXIT_SIGNATURE = 0, 1, 2, 3
EXIT_CODES = """exit codes:
  0  decoded (with --cert: every signature holds with that certificate)
  1  nothing in the input could be decoded as a SAML message
  2  usage error (e.g. the --cert file cannot be read)
  3  with --cert: a signature does not hold (digest mismatch, value does not verify)
     or cannot be shown to (digest not recomputable, algorithm not checked)"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decode",
        help="decode and check a SAML message",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", nargs="?", default="-", help="the message, a file containing it, or - for stdin")
    p.add_argument("--cert", help="PEM certificate to check signatures against")
    p.add_argument("--key", help="PEM private key that decrypts an EncryptedAssertion (the SP's encryption key)")
    p.add_argument("--xml", action="store_true", help="print the pretty XML too")
    p.add_argument("--json", action="store_true", help="print the decoded messages as JSON")
    register_options(p)
    p.set_defaults(run=run)


def _is_file(arg: str) -> bool:
    """A message given inline (often longer than a file name may be) is not a file."""
    try:
        return len(arg) < 4096 and Path(arg).is_file()
    except (OSError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    if args.input == "-":
        text = sys.stdin.read()
    elif _is_file(args.input):
        data = Path(args.input).read_bytes()
        if looks_like_capture(data):
            return run_capture(args, data)
        if looks_like_saved_trace(data):
            return run_saved_trace(args, data)
        text = data.decode("utf-8", "replace")
    else:
        text = args.input
    cert = None
    if args.cert:
        try:
            cert = Path(args.cert).read_bytes()
        except OSError as err:
            return fail(f"cannot read the certificate: {err}", EXIT_USAGE)
    key = None
    if args.key:
        try:
            key = Path(args.key).read_bytes()
        except OSError as err:
            return fail(f"cannot read the key: {err}", EXIT_USAGE)
        if b"PRIVATE KEY" not in key:
            return fail(f"{args.key} is not a PEM private key", EXIT_USAGE)
    messages = inspect(text, cert, key)
    if args.json:
        print(json.dumps([asdict(m) for m in messages], indent=2))
    else:
        for m in messages:
            print(format_message(m, xml=args.xml))
            print()
    return exit_code(messages, checked=cert is not None)


def exit_code(messages: list[Message], *, checked: bool) -> int:
    """See EXIT_CODES: a failing signature is never a success when a certificate was given."""
    if all(m.error for m in messages):
        return EXIT_UNDECODABLE
    if checked and any(signature_ok(s) is not True for m in messages for s in m.signatures):
        return EXIT_SIGNATURE
    return EXIT_OK
