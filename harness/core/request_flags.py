"""`flow` options that change what the SP's AuthnRequest asks of the IdP, for one run.

They override the subscription's saved request options in the running SP only (the workspace
is not written), so a tester can rehearse ForceAuthn, IsPassive, a NameIDPolicy or a
RequestedAuthnContext against the mock IdP, or against a customer's IdP.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from harness.core.servers import Servers
from samlkit.authn_context import COMPARISONS
from sp import request_options


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what the SP's AuthnRequest asks of the IdP (this run only)")
    g.add_argument("--force-authn", action="store_true", help="ForceAuthn: the IdP asks for credentials again")
    g.add_argument("--passive", action="store_true", help="IsPassive: no login form; NoPassive without an IdP session")
    g.add_argument(
        "--nameid-format",
        metavar="FMT",
        help="NameIDPolicy Format: persistent, transient, emailAddress, unspecified or a URI",
    )
    g.add_argument("--no-allow-create", action="store_true", help="NameIDPolicy AllowCreate=false")
    g.add_argument(
        "--authn-context",
        metavar="CLASS[,CLASS]",
        help="RequestedAuthnContext classes: mfa (REFEDS), totp (TimeSyncToken), ppt, password or URIs",
    )
    g.add_argument("--comparison", choices=COMPARISONS, help="RequestedAuthnContext Comparison (default exact)")
    g.add_argument(
        "--idp-session",
        action="store_true",
        help="sign in at the IdP first (IdP-initiated login, then SP logout): the flow starts with an IdP session",
    )


def changes(args: argparse.Namespace) -> dict[str, Any]:
    """Subscription field changes the options ask for (empty: keep the subscription's own)."""
    out: dict[str, Any] = {}
    if args.force_authn:
        out["request_force_authn"] = True
    if args.passive:
        out["request_passive"] = True
    if args.nameid_format:
        out["request_nameid_format"] = args.nameid_format
    if args.no_allow_create:
        out["request_allow_create"] = False
    if args.authn_context:
        out["request_authn_context"] = [c.strip() for c in args.authn_context.split(",") if c.strip()]
    if args.comparison:
        out["request_authn_comparison"] = args.comparison
    return out


def apply(servers: Servers, idm_key: str, wanted: dict[str, Any]) -> str:
    """Reconfigure the running SP's subscription; returns what its AuthnRequest now asks for.

    Raises request_options.OptionError when an option cannot be sent."""
    config = servers.sp_app.config
    sub = config.subscription(idm_key)
    changed = replace(sub, **wanted)
    found = request_options.problems(changed)
    if found:
        raise request_options.OptionError("; ".join(found))
    subs = [changed if s.idm_key == idm_key else s for s in config.subscriptions]
    servers.sp_app.reconfigure(replace(config, subscriptions=subs))
    return request_options.describe(changed)
