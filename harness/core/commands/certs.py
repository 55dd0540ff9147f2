"""`saml-harness certs make|show|rotate|list`: the workspace's key pairs and any certificate."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from harness.core.certs import CertError, describe_cert, format_cert, load_cert, make_keypair, rotate
from harness.core.commands.common import WorkspaceError, fail, open_read_only, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("certs", help="make, show, list and rotate key pairs and certificates")
    cs = p.add_subparsers(dest="certs_cmd", required=True)
    m = cs.add_parser("make", help="make a key pair with a self-signed certificate in the workspace")
    m.add_argument("name")
    m.add_argument("--cn", help="subject common name (default: the name)")
    m.add_argument("--kind", choices=["rsa", "ec"], default="rsa")
    m.add_argument("--bits", type=int, default=2048, choices=[2048, 3072, 4096])
    m.add_argument("--days", type=int, default=730, help="validity in days")
    when = m.add_mutually_exclusive_group()  # a certificate cannot be both
    when.add_argument("--expired", action="store_true", help="a certificate that expired yesterday (for testing)")
    when.add_argument("--not-yet-valid", action="store_true", help="a certificate valid from tomorrow (for testing)")
    m.add_argument("--force", action="store_true", help="replace an existing key pair of that name")
    s = cs.add_parser("show", help="describe a certificate: a workspace key pair name or a PEM file")
    s.add_argument("what")
    cs.add_parser("list", help="list the workspace's key pairs")
    r = cs.add_parser("rotate", help="replace a key pair with a new key of the same kind and subject")
    r.add_argument("name")
    r.add_argument("--days", type=int, default=730)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.certs_cmd == "show" and Path(args.what).is_file():
        try:
            print(format_cert(describe_cert(load_cert(Path(args.what)))))
        except CertError as err:
            return fail(str(err))
        return 0
    ws = open_read_only(args) if args.certs_cmd in ("list", "show") else open_workspace(args)
    try:
        if args.certs_cmd == "list":
            for name in ws.keypair_names():
                kp = ws.keypair(name)
                print(f"{name:<20} {kp.status():<14} {kp.algorithm:<9} {kp.subject}  {kp.fingerprint_sha256[:23]}…")
            return 0
        if args.certs_cmd == "show":
            print(format_cert(describe_cert(ws.keypair(args.what).cert_pem)))
            return 0
        if args.certs_cmd == "make":
            if args.name in ws.keypair_names() and not args.force:
                return fail(f"a key pair {args.name!r} exists; use --force to replace it")
            now = dt.datetime.now(dt.UTC)
            kw: dict = {"days": args.days}
            if args.expired:
                kw = {"not_before": now - dt.timedelta(days=args.days + 1), "not_after": now - dt.timedelta(days=1)}
            elif args.not_yet_valid:
                kw = {"not_before": now + dt.timedelta(days=1), "not_after": now + dt.timedelta(days=args.days + 1)}
            kp = make_keypair(
                args.cn or args.name, kind=args.kind, bits=args.bits if args.kind == "rsa" else 2048, **kw
            )
            ws.save_keypair(args.name, kp)
            print(f"made {args.name} in {ws.keys_dir}")
            print(format_cert(describe_cert(kp.cert_pem)))
            return 0
        if args.certs_cmd == "rotate":
            kp = rotate(ws.keypair(args.name), days=args.days)
            ws.save_keypair(args.name, kp)
            print(f"rotated {args.name}: subscriptions that trust the old certificate must be updated")
            print("(to change the IdP's key with no failed login, rehearse it with `saml-harness rollover`)")
            print(format_cert(describe_cert(kp.cert_pem)))
            return 0
    except (WorkspaceError, CertError, ValueError) as err:
        return fail(str(err))
    return fail("unknown certs command")
