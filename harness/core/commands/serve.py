"""`saml-harness serve`: both servers and the control API on loopback until Ctrl-C or SIGTERM.

While it runs it holds the workspace; other harness commands that change the workspace send
their changes through its control API, and the servers take every change without a restart.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import warnings
from pathlib import Path

from harness.core import tls
from harness.core.commands.common import fail, open_workspace
from harness.core.control import start_control
from harness.core.control.info import describe
from harness.core.durable import atomic_write
from harness.core.servers import Servers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the SP and the mock IdP and print their URLs")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    p.add_argument("--sp-port", type=_port, default=None, help="SP port (default from the workspace, 8443)")
    p.add_argument("--idp-port", type=_port, default=None, help="mock IdP port (default from the workspace, 8444)")
    p.add_argument(
        "--https",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve both sides over HTTPS with the workspace's local CA (default: the workspace's setting, off)",
    )
    p.add_argument(
        "--idp-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the mock IdP from a second process, so the two servers use two cores (default: on)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON line (URLs, entity IDs, control URL and token)")
    p.add_argument("--ready-file", metavar="FILE", help="write that JSON to FILE once both servers listen")
    p.set_defaults(run=run)


def _port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535: said in words by argparse, not an OverflowError at bind."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (a number from 0, any free port, to 65535)")
    return port


def _print_text(servers: Servers, control_url: str, token: str) -> None:
    print(f"workspace  {servers.workspace.path}")
    if servers.tls is not None:
        print(tls.trust_instructions(servers.tls.ca_cert))
    sp = servers.sp_app.config
    print(f"SP         {servers.sp_base}   (entityID {sp.entity_id}, ACS {sp.acs_url})")
    print(f"mock IdP   {servers.idp_base}   (entityID {servers.idp_app.config.entity_id}, metadata /metadata)")
    for s in sp.subscriptions:
        print(f"login URL  {servers.login_url(s.idm_key)}   ({s.name or s.idm_key})")
        print(f"  IdP-initiated  {servers.idp_start_url(idm_key=s.idm_key)}")
    print(f"control    {control_url}   (token {token}; also in {servers.workspace.path / 'control.json'})")
    for note in servers.notes:
        print(f"note: {note}")
    print("Press Ctrl-C to stop.", flush=True)


def run(args: argparse.Namespace) -> int:
    ws = open_workspace(args, route=False)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    servers = Servers(
        ws,
        host=args.host,
        sp_port=args.sp_port,
        idp_port=args.idp_port,
        https=args.https,
        idp_process=args.idp_process,
    )
    control = None
    code = 0
    try:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                servers.start()
        except OSError as err:  # an address this machine does not have, a privileged port...
            return fail(f"cannot listen on {args.host}: {err}")
        for w in caught:  # a sentence for the user, not Python's warning format with a source line
            print(f"warning: {w.message}", file=sys.stderr)
        control = start_control(servers)
        info = describe(servers, {"url": control.info.url, "token": control.info.token})
        line = json.dumps(info)
        if args.ready_file:
            atomic_write(Path(args.ready_file), (line + "\n").encode(), 0o600)
        if args.json:
            print(line, flush=True)
        else:
            _print_text(servers, control.info.url, control.info.token)
        while not stop.wait(0.5):
            if servers.failure:  # half a harness must not pass for a whole one in someone's CI
                print(f"error: {servers.failure}; stopping", file=sys.stderr, flush=True)
                code = 1
                break
    finally:
        if control is not None:
            control.stop()
        servers.stop()  # every port is closed before the lock is released and the process exits
        ws.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if args.ready_file:
            Path(args.ready_file).unlink(missing_ok=True)
    print("stopped", file=sys.stderr, flush=True)
    return code
