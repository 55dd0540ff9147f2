"""`saml-harness onboard`: a questionnaire becomes a subscription's trust and a unique login URL.

saml-harness onboard questionnaire.toml [--name NAME] [--mapping login|external_id|either]
saml-harness onboard --from-metadata FILE|URL --subscription abcd_ef [--exit-url URL]
saml-harness onboard --from-mock-idp --subscription abcd_ef
saml-harness onboard ... --check                  (validate only)
saml-harness onboard ... --save-questionnaire q.toml
saml-harness onboard --export-sp DIR [--idm-key KEY]
saml-harness onboard --external-sp FILE|URL       (the mock IdP serves that SP)
"""

from __future__ import annotations

import argparse
import sys

from harness.core.certs import CertError, describe_cert
from harness.core.commands.common import fail, open_workspace
from harness.core.external_sp import ExternalSPError, add_external_sp
from harness.core.onboarding import OnboardingError, login_url, onboard
from harness.core.questionnaire import Questionnaire, QuestionnaireError, sp_side
from harness.core.workspace import Workspace
from sp.model import MAPPING_MODES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "onboard",
        help="create a subscription's trust from a questionnaire and print its unique login URL",
        description="Create a subscription's SAML trust from the onboarding questionnaire (TOML), from an IdP's "
        "metadata or from the mock IdP; export the SP's side; let the mock IdP serve an external SP.",
    )
    p.add_argument("questionnaire", nargs="?", help="questionnaire TOML file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--from-metadata", metavar="FILE|URL", help="fill the IdP fields from an IdP's SAML metadata")
    src.add_argument("--from-mock-idp", action="store_true", help="fill the IdP fields from the mock IdP")
    p.add_argument("--subscription", metavar="USERNAME", help="the Manager primary contact's username (abcd_ef)")
    p.add_argument("--exit-url", help="the optional exit URL")
    p.add_argument("--entity-id", help="with --from-metadata: which entity, when the metadata holds several")
    p.add_argument("--name", help="a display name for the subscription (default: the primary contact)")
    p.add_argument(
        "--mapping",
        choices=MAPPING_MODES,
        default="login",
        help="how the SP maps the SAML identity: to the login, the External ID, or either",
    )
    p.add_argument(
        "--no-nds",
        action="store_true",
        help="create the subscription without the New Data Security Model (SAML cannot be enabled)",
    )
    p.add_argument("--idm-key", help="use this idm_key (default: a fresh number); with --export-sp: the subscription")
    p.add_argument("--check", action="store_true", help="validate the questionnaire only; create nothing")
    p.add_argument(
        "--save-questionnaire",
        metavar="FILE",
        help="only write the (filled) questionnaire as TOML; create nothing (onboard that file next)",
    )
    p.add_argument("--export-sp", metavar="DIR", help="write the SP's side (entityID, ACS URL, metadata) to DIR")
    p.add_argument("--external-sp", metavar="FILE|URL", help="let the mock IdP serve the SP described by this metadata")
    p.set_defaults(run=run)


def _questionnaire(args: argparse.Namespace, ws: Workspace) -> Questionnaire | None:
    if args.questionnaire:
        q = Questionnaire.load(args.questionnaire)
    elif args.from_metadata:
        q = Questionnaire.from_metadata(args.from_metadata, entity_id=args.entity_id)
    elif args.from_mock_idp:
        q = Questionnaire.from_mock_idp(ws)
    else:
        return None
    if args.subscription is not None:
        q.subscription = args.subscription
    if args.exit_url is not None:
        q.exit_url = args.exit_url
    return q


def run(args: argparse.Namespace) -> int:
    if args.questionnaire and (args.from_metadata or args.from_mock_idp):
        return fail("give either a questionnaire file or --from-metadata/--from-mock-idp, not both")
    ws = open_workspace(args)
    try:
        return _run(args, ws)
    finally:
        ws.close()


def _run(args: argparse.Namespace, ws: Workspace) -> int:
    did = False
    if args.external_sp:
        try:
            s = add_external_sp(ws, args.external_sp)
        except ExternalSPError as err:
            return fail(f"cannot use that SP metadata: {err}")
        print(f"the mock IdP now serves {s.entity_id}")
        print(f"  ACS (HTTP-POST): {s.acs_url}")
        print(f"  NameID: {s.nameid_format} from the user's {s.nameid_source}; signs: {s.sign}")
        print(f"  Single Logout: {s.slo_url or 'none (no SingleLogoutService in its metadata)'}")
        print(f"  signed AuthnRequests: {'required' if s.want_authn_requests_signed else 'not required'}")
        if s.encrypt_assertion:
            print(
                f"  encrypts the Assertion ({s.encryption_data_alg}, key {s.encryption_key_alg}) to the encryption "
                "certificate in its metadata; change it with `saml-harness encryption idp`"
            )
        print(f"  IdP metadata for that SP: the mock IdP's /metadata (entityID {ws.idp_profile().entity_id})")
        did = True
    try:
        q = _questionnaire(args, ws)
    except QuestionnaireError as err:
        return fail(str(err))
    created = None
    if q is not None:
        did = True
        problems = q.validate()
        if args.save_questionnaire:
            # Step one of two: the customer fills in the questionnaire; onboarding it is step two.
            print(f"questionnaire written to {q.save(args.save_questionnaire)}")
            for p in problems:
                print(p)
            print(f"next: saml-harness onboard {args.save_questionnaire}")
        elif args.check:
            for p in problems:
                print(p)
            errors = [p for p in problems if p.level == "error"]
            print("the questionnaire is complete" if not errors else f"{len(errors)} problem(s) to fix")
            return 1 if errors else 0
        else:
            try:
                created = onboard(
                    ws, q, name=args.name, mapping=args.mapping, nds_enabled=not args.no_nds, idm_key=args.idm_key
                )
            except OnboardingError as err:
                print("saml-harness: the questionnaire cannot be used yet:", file=sys.stderr)
                for p in err.problems:
                    print(f"  {p}", file=sys.stderr)
                return 2
            _print_created(created, ws)
    if args.export_sp:
        key = created.subscription.idm_key if created else args.idm_key
        if key and ws.subscription(key) is None:
            return fail(f"no subscription has the idm_key {key!r}")
        for path in sp_side(ws, idm_key=key).write(args.export_sp):
            print(f"wrote {path}")
        did = True
    if not did:
        return fail(
            "nothing to do: give a questionnaire file, --from-metadata, --from-mock-idp, --export-sp "
            "or --external-sp (see --help)"
        )
    return 0


def _print_created(created, ws: Workspace) -> None:
    sub = created.subscription
    print(f"onboarded subscription {sub.name} with idm_key {sub.idm_key}")
    print(f"  IdP EntityID:  {sub.idp_entity_id}")
    print(f"  IdP SSO URL:   {sub.idp_sso_url}")
    if sub.idp_slo_url:
        print(f"  IdP SLO URL:   {sub.idp_slo_url}")
    try:
        info = describe_cert(sub.idp_cert_pem)
        print(f"  certificate:   {info.subject}  (until {info.not_after:%Y-%m-%d}, SHA-256 {info.fingerprint_sha256})")
    except CertError:  # pragma: no cover - validated before
        pass
    print(f"  exit URL:      {sub.exit_url or '(none: the SP shows its logged-out page)'}")
    print(f"  mapping:       SAML identity → {'login' if sub.mapping_mode == 'login' else sub.mapping_mode}")
    print(f"  API account:   {created.api_login} / {created.api_password}  (Manager; the user API only, never SAML)")
    if not sub.nds_enabled:
        print("  note: this subscription lacks the New Data Security Model: SAML cannot be enabled for its accounts")
    for w in created.warnings:
        print(f"  {w}")
    print()
    print(f"unique login URL: {created.login_url}")
    print("(where this workspace's harness serves; `saml-harness serve` listens there unless the port is taken,")
    print(" and then prints the URL it really uses; a running `serve` or app takes the new subscription at once)")
    others = [s for s in ws.subscriptions() if s.idm_key != sub.idm_key]
    if others:
        print(f"other subscriptions: {', '.join(f'{s.name or s.idm_key} {login_url(ws, s.idm_key)}' for s in others)}")
