"""`saml-harness encryption`: encrypted assertions, on the mock IdP's side (per SP) and the SP's (per subscription)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.core.commands.common import WorkspaceError, fail, open_read_only, open_workspace
from harness.core.encryption_config import (
    describe_idp,
    describe_sub,
    find_sp,
    set_idp_encryption,
    set_sub_encryption,
)
from samlkit import xmlenc
from sp.model import ENCRYPTION_POLICIES


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError("say on or off")
    return value == "on"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encryption", help="encrypted assertions: the mock IdP per SP, the SP per subscription")
    cs = p.add_subparsers(dest="enc_cmd", required=True)
    cs.add_parser("show", help="what the mock IdP encrypts for each SP, and each subscription's policy")
    i = cs.add_parser("idp", help="how the mock IdP encrypts for one SP")
    i.add_argument("--sp", help="the SP's EntityID or name (default: the only one)")
    i.add_argument("--assertion", type=_on_off, metavar="on|off", help="encrypt the Assertion (EncryptedAssertion)")
    i.add_argument("--name-id", type=_on_off, metavar="on|off", help="encrypt the NameID (EncryptedID)")
    i.add_argument("--attributes", type=_on_off, metavar="on|off", help="encrypt each Attribute (EncryptedAttribute)")
    i.add_argument("--data", choices=list(xmlenc.DATA_ALGS), help="data encryption")
    i.add_argument("--key-transport", choices=list(xmlenc.KEY_ALGS), help="key transport (rsa-1_5 is weak)")
    to = i.add_mutually_exclusive_group()
    to.add_argument("--cert", metavar="PEM", help="the SP's encryption certificate (a PEM file)")
    to.add_argument("--key-pair", metavar="NAME", help="encrypt to a workspace key pair's certificate")
    s = cs.add_parser("sp", help="what the embedded SP does with encrypted assertions, per subscription")
    s.add_argument("--idm-key", help="the subscription (default: the first)")
    s.add_argument("--policy", choices=ENCRYPTION_POLICIES, help="accept (both), plain (only), require (encrypted)")
    s.add_argument("--allow-rsa15", type=_on_off, metavar="on|off", help="accept RSA 1.5 key transport (weak)")
    s.add_argument("--new-key", action="store_true", help="make a new encryption key pair (republish the metadata)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        ws = open_read_only(args) if args.enc_cmd == "show" else open_workspace(args)
    except WorkspaceError as err:
        return fail(str(err))
    try:
        if args.enc_cmd == "idp":
            print(describe_idp(_idp(ws, args)))
        elif args.enc_cmd == "sp":
            key = args.idm_key or (ws.subscriptions()[0].idm_key if ws.subscriptions() else "")
            print(
                describe_sub(
                    set_sub_encryption(ws, key, policy=args.policy, allow_rsa15=args.allow_rsa15, new_key=args.new_key)
                )
            )
        else:
            for s in ws.idp_for_sps():
                print("IdP  " + describe_idp(s))
            for sub in ws.subscriptions():
                print("SP   " + describe_sub(sub))
    except WorkspaceError as err:
        return fail(str(err))
    finally:
        ws.close()
    return 0


def _idp(ws, args: argparse.Namespace):
    settings = find_sp(ws, args.sp)
    changes: dict = {}
    for flag, field in (
        ("assertion", "encrypt_assertion"),
        ("name_id", "encrypt_name_id"),
        ("attributes", "encrypt_attributes"),
    ):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    if args.data:
        changes["encryption_data_alg"] = args.data
    if args.key_transport:
        changes["encryption_key_alg"] = args.key_transport
    if args.cert:
        try:
            changes["encryption_cert"] = Path(args.cert).read_text("ascii", "replace")
        except OSError as err:
            raise WorkspaceError(f"cannot read the certificate: {err}") from err
        changes["encryption_key"] = ""
    if args.key_pair:
        changes["encryption_key"], changes["encryption_cert"] = args.key_pair, ""
    return set_idp_encryption(ws, settings, **changes)
