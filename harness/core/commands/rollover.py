"""`saml-harness rollover status|add|switch|remove|rehearse`: an IdP certificate rollover, stage by stage."""

from __future__ import annotations

import argparse

from harness.core import rollover
from harness.core.commands.common import fail, no_such_user, open_read_only, open_workspace, pick_subscription
from harness.core.servers import Servers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rollover",
        help="rehearse an IdP signing-certificate rollover: add the new certificate, switch, remove the old",
        description="A subscription trusts up to two IdP certificates while a rollover overlaps. Stages: add (the "
        "IdP's next key pair; subscriptions trust its certificate too), switch (the mock IdP signs with it), "
        "remove (subscriptions drop the old certificate). rehearse runs all three with a login after each.",
    )
    p.add_argument("stage", choices=["status", "add", "switch", "remove", "rehearse"])
    p.add_argument("--subscription", "--idm-key", dest="idm_key", help="only this subscription (add, remove, rehearse)")
    p.add_argument("--user", default="alice", help="rehearse: the IdP user who logs in at each stage (default alice)")
    p.add_argument("--days", type=int, default=730, help="add: validity of the new certificate in days")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ws = open_read_only(args) if args.stage == "status" else open_workspace(args)
    try:
        keys = [args.idm_key] if args.idm_key else None
        if args.stage == "status":
            print("\n".join(rollover.status(ws)))
            return 0
        if args.stage == "rehearse":
            return _rehearse(args, ws)
        stage = {
            "add": lambda: rollover.add(ws, keys, days=args.days),
            "switch": lambda: rollover.switch(ws),
            "remove": lambda: rollover.remove(ws, keys),
        }[args.stage]()
        print(f"{stage.name}: {stage.detail}")
        print("\n".join(rollover.status(ws)))
        return 0
    except rollover.RolloverError as err:
        return fail(str(err))
    finally:
        ws.close()


def _rehearse(args: argparse.Namespace, ws) -> int:
    from harness.core.rollover_rehearsal import StageLogin, rehearse

    idm_key, problem = pick_subscription(ws, args.idm_key)
    if problem:
        return fail(problem)
    if ws.user(args.user) is None:
        return fail(no_such_user(ws, args.user))

    def show(s: StageLogin) -> None:
        who = f"session as {s.login}" if s.ok else f"REFUSED {s.reason or 'no session'}"
        role = "only trusted" if s.verified_by == "only" else s.verified_by
        cert = f"verified by the {role} certificate (SHA-256 {s.fingerprint[:16]}…)" if s.verified_by else ""
        print(f"{s.stage:<7} {s.detail}")
        print(f"        login: {who}; {cert}", flush=True)

    with Servers(ws, sp_port=0, idp_port=0) as servers:
        results = rehearse(
            servers, idm_key=idm_key, username=args.user, on_stage=show, every_subscription=not args.idm_key
        )
    ok = len(results) == 4 and all(r.ok for r in results)
    print("RESULT: rollover rehearsed with no failed login" if ok else "RESULT: a login failed during the rollover")
    return 0 if ok else 1
