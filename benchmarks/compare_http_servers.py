"""Which WSGI server embeds the SP and the mock IdP: cheroot vs waitress (and the old Werkzeug
development server), measured on this machine in one run.

For each server class, behind the same seam (`Servers(server_factory=...)`, demo workspace):
- start and stop: both servers bound, serving, then stopped; after stop the ports refuse
  connections and no thread of the server is left;
- one login at a time over loopback (the scripted browser, a fresh browser per login), median;
- logins per second with 8 browsers in a separate process (alternating rounds).

Not part of `dev.py bench` (no RATIO line): run it by hand to revisit the choice,
`python benchmarks/compare_http_servers.py`. waitress cannot serve TLS, so it cannot serve
`serve --https` at all.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c
from bench_4_login_loopback import DEMO_KEY, one_login, rate, throughput
from engines import WaitressServer, WerkzeugDevServer

from harness.core.http_server import EmbeddedServer
from harness.core.servers import Servers
from harness.core.workspace import Workspace

ENGINES = {"cheroot": EmbeddedServer, "waitress": WaitressServer, "werkzeug dev": WerkzeugDevServer}


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def start_stop(factory, root: Path) -> tuple[float, float, bool, int]:
    """Seconds to start both servers and to stop them after one login; ports closed; threads left."""
    ws = Workspace.demo(root / f"ss-{factory.__name__}-{time.monotonic_ns()}")
    before = set(threading.enumerate())
    t = time.perf_counter()
    s = Servers(ws, sp_port=0, idp_port=0, server_factory=factory).start()
    started = time.perf_counter() - t
    one_login(s.login_url(DEMO_KEY))
    ports = [srv.server_port for srv in s._servers]
    t = time.perf_counter()
    s.stop()
    stopped = time.perf_counter() - t
    time.sleep(0.3)
    left = [x for x in threading.enumerate() if x not in before and x.is_alive()]
    ws.close()
    return started, stopped, all(refused(p) for p in ports), len(left)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="compare-servers-"))
    embed = {name: start_stop(f, root) for name, f in ENGINES.items()}
    running = {
        name: Servers(Workspace.demo(root / name), sp_port=0, idp_port=0, server_factory=f).start()
        for name, f in ENGINES.items()
    }
    try:
        urls = {name: s.login_url(DEMO_KEY) for name, s in running.items()}
        samples = c.interleaved(
            {name: (lambda u=u: one_login(u), 20) for name, u in urls.items()}, rounds=10, budget=40
        )
        rounds: dict[str, list[dict]] = {name: [] for name in ENGINES}
        for _ in range(2):
            for name, u in urls.items():
                rounds[name].append(throughput(u))
    finally:
        for s in running.values():
            s.stop()
    headers = [
        "server",
        "login median ms",
        "p90 ms",
        "logins/s, 8 browsers",
        "start ms",
        "stop ms",
        "ports closed",
        "threads left",
        "TLS",
    ]
    rows = []
    for name in ENGINES:
        started, stopped, closed, left = embed[name]
        rows.append(
            [
                name,
                f"{c.median_ms(samples[name]):.2f}",
                f"{c.pct_ms(samples[name], 90):.2f}",
                f"{rate(rounds[name]):.0f}",
                f"{started * 1000:.0f}",
                f"{stopped * 1000:.0f}",
                "yes" if closed else "NO",
                str(left),
                "no" if name == "waitress" else "yes",
            ]
        )
    c.print_table("HTTP servers behind Servers (demo workspace, scripted browser, loopback)", headers, rows)


if __name__ == "__main__":
    main()
