"""`saml-harness serve`: both servers on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading

from harness.core import tls
from harness.core.commands.common import open_workspace
from harness.core.servers import Servers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the SP and the mock IdP and print their URLs")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    p.add_argument("--sp-port", type=int, default=None, help="SP port (default from the workspace, 8443)")
    p.add_argument("--idp-port", type=int, default=None, help="mock IdP port (default from the workspace, 8444)")
    p.add_argument(
        "--https",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve both sides over HTTPS with the workspace's local CA (default: the workspace's setting, off)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    servers = Servers(ws, host=args.host, sp_port=args.sp_port, idp_port=args.idp_port, https=args.https).start()
    print(f"workspace  {ws.path}")
    if servers.tls is not None:
        print(tls.trust_instructions(servers.tls.ca_cert))
    sp = servers.sp_app.config
    print(f"SP         {servers.sp_base}   (entityID {sp.entity_id}, ACS {sp.acs_url})")
    print(f"mock IdP   {servers.idp_base}   (entityID {servers.idp_app.config.entity_id}, metadata /metadata)")
    for s in servers.sp_app.config.subscriptions:
        print(f"login URL  {servers.login_url(s.idm_key)}   ({s.name or s.idm_key})")
        print(f"  IdP-initiated  {servers.idp_start_url(idm_key=s.idm_key)}")
    for note in servers.notes:
        print(f"note: {note}")
    print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    servers.stop()
    ws.close()
    return 0
