"""`saml-harness send`: open a message (a file, or a step of a saved trace), edit it, re-sign or
strip it, and send it to an SP's ACS or an IdP; print the SP's answer and what changed.

Exit codes: 0 accepted, 1 refused, 2 the message could not be prepared or sent.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.core.commands.common import fail, open_read_only, pick_subscription, write_output
from harness.core.message_diff import ADDED, HEADER, HUNK, REMOVED
from harness.core.terminal import visible
from harness.core.workbench import edit
from harness.core.workbench.binding import BINDINGS
from harness.core.workbench.encryption import EncryptionChoice
from harness.core.workbench.fields import read_field
from harness.core.workbench.message import OpenMessage, WorkbenchError, load, parse_xml
from harness.core.workbench.send import Destination, SendOptions, SendResult, send
from harness.core.workbench.signing import HASHES, KEY_CLONE, KEY_IDP, KEY_PEM, KEY_PREFIX, SigningChoice
from harness.core.workbench.transforms import scenario_names
from harness.core.workspace import Workspace

EPILOG = """\
fields for --set: issuer, assertion.issuer, nameid, nameid.format, audience, recipient, destination,
in_response_to, acs_url, status, issue_instant, assertion.issue_instant, not_before, not_on_or_after,
subject.not_on_or_after, authn_instant, session_not_on_or_after, relay_state, attr.NAME (values a | b).

examples:
  saml-harness flow sp --user alice --save-trace run.json
  saml-harness send run.json --set nameid=bob                    # kept signature: refused signature-invalid
  saml-harness send run.json --set nameid=bob --resign idp       # re-signed by the trusted key: accepted
  saml-harness send run.json --set nameid=bob --resign-clone     # cloned certificate: refused
  saml-harness send run.json:4 --strip all                        # refused signature-missing
  saml-harness send response.xml --scenario xsw3 --to https://sp.example/acs --json

exit codes: 0 accepted, 1 refused, 2 error (the message could not be prepared or sent)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send",
        help="edit, re-sign and re-send a SAML message (a file or a saved trace step)",
        description="Open a SAML message, change it, and send it to the embedded SP (default), any SP's ACS, "
        "or an IdP. Without --to, the workspace's servers start for the command and a Response goes to the "
        "embedded SP's ACS, a request to the mock IdP.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "source", metavar="FILE|TRACE.json[:STEP]", help="the message (any form decode reads) or a trace step"
    )
    g = p.add_argument_group("signatures (default: kept as they are)")
    g.add_argument("--strip", choices=["response", "assertion", "all"], action="append", help="remove a signature")
    g.add_argument(
        "--resign",
        metavar="KEY",
        help="re-sign with: idp (the mock IdP's key), a workspace key pair's name, or KEY.pem,CERT.pem",
    )
    g.add_argument("--resign-clone", action="store_true", help="re-sign with a clone of the message's certificate")
    g.add_argument("--sign-part", choices=["response", "assertion", "both"], default="both", help="what to re-sign")
    g.add_argument("--hash", choices=HASHES, default="sha256", help="signature hash (default sha256)")
    g.add_argument("--digest", choices=HASHES, help="digest hash (default: as --hash)")
    g.add_argument(
        "--encrypt",
        metavar="CERT",
        help="encrypt the Assertion for this certificate (a PEM file or a workspace key pair)",
    )
    g.add_argument("--encrypt-data", default="aes256-gcm", help="data encryption (default aes256-gcm)")
    g.add_argument("--encrypt-key", default="rsa-oaep-mgf1p", help="key transport (default rsa-oaep-mgf1p)")
    e = p.add_argument_group("edits")
    e.add_argument("--scenario", metavar="NAME", help="apply an attack scenario of the battery to the message")
    e.add_argument("--shift-time", metavar="S", type=int, help="move every time in the message by S seconds")
    e.add_argument("--set", metavar="FIELD=VALUE", action="append", default=[], help="set a field (repeatable)")
    e.add_argument(
        "--refresh",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="make it current before signing: new IDs, a fresh request's InResponseTo, times from now "
        "(default: when re-signing)",
    )
    e.add_argument(
        "--readdress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="set a Destination/Recipient left as opened to the target URL (default: for the embedded servers)",
    )
    t = p.add_argument_group("target")
    t.add_argument("--to", metavar="URL", help="an SP's ACS, or an IdP's SSO URL (default: the embedded servers)")
    t.add_argument("--login-url", metavar="URL", help="with --to: the SP's login URL, for a fresh request to answer")
    t.add_argument("--subscription", "--idm-key", dest="idm_key", help="embedded SP: the subscription")
    t.add_argument("--binding", choices=BINDINGS, help="default: post for Responses, redirect for requests")
    t.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request (default 15)")
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print the result (answer, diff, trace) as JSON")
    o.add_argument("--xml", action="store_true", help="print the XML as sent")
    o.add_argument("--save-trace", metavar="FILE", help="save the new trace as JSON (opens in the app)")
    o.add_argument("--list-scenarios", action="store_true", help="list the scenario names and exit")
    p.set_defaults(run=run)


def signing_choice(args: argparse.Namespace) -> SigningChoice:
    strip: set[str] = set()
    for s in args.strip or []:
        strip |= {"response", "assertion"} if s == "all" else {s}
    if args.resign and args.resign_clone:
        raise WorkbenchError("give --resign KEY or --resign-clone, not both")
    choice = SigningChoice(strip=strip, hash=args.hash, digest=args.digest)
    if not (args.resign or args.resign_clone):
        return choice
    choice.resign = {"response", "assertion"} if args.sign_part == "both" else {args.sign_part}
    if args.resign_clone:
        choice.key = KEY_CLONE
    elif args.resign == KEY_IDP:
        choice.key = KEY_IDP
    elif "," in args.resign:
        key_path, _, cert_path = args.resign.partition(",")
        try:
            choice.key_pem, choice.cert_pem = Path(key_path).read_bytes(), Path(cert_path).read_bytes()
        except OSError as err:
            raise WorkbenchError(f"cannot read the PEM pair: {err}") from err
        choice.key = KEY_PEM
    else:
        choice.key = KEY_PREFIX + args.resign
    return choice


def _options(args: argparse.Namespace, ws: Workspace) -> SendOptions:
    encryption = None
    if args.encrypt:
        if Path(args.encrypt).is_file():
            try:
                cert = Path(args.encrypt).read_bytes()
            except OSError as err:
                raise WorkbenchError(f"cannot read the certificate to encrypt for: {err}") from err
        elif args.encrypt in ws.keypair_names():
            cert = ws.keypair(args.encrypt).cert_pem
        else:
            raise WorkbenchError(f"--encrypt: no file and no workspace key pair named {args.encrypt!r}")
        encryption = EncryptionChoice(cert_pem=cert, data_alg=args.encrypt_data, key_alg=args.encrypt_key)
    return SendOptions(
        signing=signing_choice(args),
        refresh=args.refresh,
        encryption=encryption,
        binding=args.binding,
        readdress=args.readdress,
        timeout=args.timeout,
    )


def _edit(args: argparse.Namespace, message: OpenMessage, ws: Workspace) -> list[str]:
    notes = []
    if args.scenario:
        note = edit.scenario(message, args.scenario, ws)
        notes.append(f"scenario {args.scenario} applied" + (f" ({note})" if note else ""))
    if args.set:
        edit.set_fields(message, [edit.parse_assignment(a) for a in args.set])
    if args.shift_time:
        moved = edit.shift(message, args.shift_time)
        notes.append(f"{moved} times shifted by {args.shift_time} s")
    return notes


def run(args: argparse.Namespace) -> int:
    if args.list_scenarios:
        print("\n".join(scenario_names()))
        return 0
    try:
        message = load(args.source)
    except WorkbenchError as err:
        return fail(str(err))
    ws = open_read_only(args)
    try:
        options = _options(args, ws)
        notes = _edit(args, message, ws)
        if args.to:
            dest = Destination(url=args.to, name=args.to, login_url=args.login_url)
            result = send(message, options, dest, ws=ws)
        else:
            result = _send_embedded(args, message, options, ws)
    except WorkbenchError as err:
        return fail(str(err))
    finally:
        ws.close()
    result.notes[:0] = notes
    _report(args, result)
    return result.exit_code


def _send_embedded(args: argparse.Namespace, message: OpenMessage, options: SendOptions, ws: Workspace) -> SendResult:
    from harness.core.servers import Servers

    idm_key, problem = pick_subscription(ws, args.idm_key)
    if problem and not message.is_request:
        raise WorkbenchError(problem)
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        dest = embedded_destination(servers, idm_key, message)
        return send(message, options, dest, ws=ws, servers=servers)


def embedded_destination(servers, idm_key: str, message: OpenMessage) -> Destination:
    """The embedded SP's ACS for a Response (with its login URL and /whoami), the mock IdP for a request."""
    certs = {s.idp_entity_id: s.idp_cert_pem for s in servers.sp_app.config.subscriptions}
    if message.is_request:
        path = "/logout" if message.kind == "LogoutRequest" else "/sso"
        config = servers.sp_app.config
        own = message.kind == "AuthnRequest" and _issuer(message) == config.entity_id
        return Destination(
            url=servers.idp_base + path,
            name="the mock IdP",
            trusted_cert=certs.get,
            embedded=True,
            reply_to=config.acs_url if own else "",
        )
    return Destination(
        url=servers.sp_app.config.acs_url,
        name=f"the embedded SP (subscription {idm_key})",
        subscription=idm_key,
        login_url=servers.login_url(idm_key) if idm_key else None,
        session_url=servers.sp_base + "/whoami",
        trusted_cert=certs.get,
        embedded=True,
    )


def _issuer(message: OpenMessage) -> str | None:
    try:
        return read_field(parse_xml(message.xml), "issuer")
    except WorkbenchError:
        return None


def _clean(text: str) -> str:
    """Message-derived text for a terminal: control and direction characters as visible escapes."""
    return visible(text)


def _report(args: argparse.Namespace, result: SendResult) -> None:
    if args.save_trace:
        write_output(args.save_trace, result.trace.to_json())
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    print(_clean(result.trace.title))
    for note in result.notes:
        print(f"  · {_clean(note)}")
    print(f"What changed: {_clean(result.diff.summary)}")
    for line in result.diff.lines:
        if line.kind in (ADDED, REMOVED, HUNK, HEADER):
            print(_clean(line.text))
    if args.xml:
        print(_clean(result.sent_xml))
    mark = {"accepted": "✔", "refused": "✘"}.get(result.verdict, "!")
    print(f"RESULT: {mark} {_clean(result.answer())}")
    step = next((s for s in result.trace.steps if s.checks and s.verdict == "refused"), None)
    if step is not None and step.reason:
        print(f"  {_clean(step.reason)}")
