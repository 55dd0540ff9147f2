"""4. The login over real loopback HTTP with the scripted browser, and throughput with 8 browsers.

Ours: `harness.core.servers.Servers` on the demo workspace (both servers on port 0, threaded
Werkzeug servers, SP state in the workspace's SQLite file, no trace recorder listening) and
`harness.core.browser.ScriptedBrowser` (requests) doing what a person does: the unique login
URL, the redirect to the IdP, the login form, the auto-posting Response form, the SP's 303 to
its home page. One fresh browser (cookies, connections) per login.

Throughput: 8 browsers logging in concurrently for a few seconds, from a separate process (so
the browsers do not share the servers' interpreter lock), logins per second.

Baseline: stock pysaml2 doing the same login in-process (no HTTP at all), xmlsec1 backend.
Also shown, the HTTP floor: the same scripted browser making five requests to a hello-world app
on the same server class: what any login over this stack costs before the SAML work.

Target: under 6 ms median.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c

BROWSERS = 8
SECONDS = 4.0
DEMO_USER, DEMO_PASSWORD, DEMO_KEY = "alice", "alice123", "4711"


def one_login(url: str) -> None:
    from harness.core.browser import Credentials, ScriptedBrowser

    b = ScriptedBrowser(Credentials(DEMO_USER, DEMO_PASSWORD))
    try:
        page = b.get(url)
    finally:
        b.close()
    if page.status != 200 or not page.url.endswith("/home"):
        raise RuntimeError(f"login ended at {page.url} ({page.status} {page.reason_code})")


def hello_server():
    """A hello-world WSGI app on the same server class as `Servers` (threaded Werkzeug)."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from harness.core.servers import _QuietHandler

    srv = make_server(
        "127.0.0.1", 0, lambda e, sr: Response("hello")(e, sr), threaded=True, request_handler=_QuietHandler
    )
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()

    def stop() -> None:
        srv.shutdown()
        srv.server_close()

    return f"http://127.0.0.1:{srv.server_port}/", stop


def five_hellos(url: str) -> None:
    """The HTTP cost of a login without the SAML: a fresh scripted browser, five GETs."""
    from harness.core.browser import ScriptedBrowser

    b = ScriptedBrowser()
    try:
        for _ in range(5):
            b.get(url)
    finally:
        b.close()


def load_child(url: str, browsers: int, seconds: float) -> None:
    """Child process: `browsers` threads log in until `seconds` pass; print counts as JSON."""
    done = [0] * browsers
    errors: list[str] = []
    start = time.perf_counter()
    stop = start + seconds

    def worker(i: int) -> None:
        while time.perf_counter() < stop:
            try:
                one_login(url)
            except Exception as err:  # counted and reported
                errors.append(repr(err))
                return
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"logins": sum(done), "seconds": time.perf_counter() - start, "errors": errors[:3]}))


def main() -> None:
    from harness.core.servers import Servers
    from harness.core.workspace import Workspace

    ws = Workspace.demo(Path(tempfile.mkdtemp(prefix="bench4-")) / "ws")
    stock = c.stock_pair(crypto="xmlsec1")
    user = c.small_user()
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        url = servers.login_url(DEMO_KEY)
        floor_url, stop_floor = hello_server()
        samples = c.interleaved(
            {
                "stock": (lambda: c.stock_login(stock, user), 1),
                "ours": (lambda: one_login(url), 20),
                "floor": (lambda: five_hellos(floor_url), 20),
            },
            rounds=15,
            budget=30,
        )
        stop_floor()
        child = subprocess.run(
            [sys.executable, __file__, "--load", url, str(BROWSERS), str(SECONDS)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if child.returncode != 0:
            raise RuntimeError(child.stderr)
        load = json.loads(child.stdout.strip().splitlines()[-1])
    if load["errors"]:
        raise RuntimeError(f"concurrent logins failed: {load['errors']}")
    rate = load["logins"] / load["seconds"]
    rows = [
        c.row("stock pysaml2, same login in-process (xmlsec1)", samples["stock"], "baseline, no HTTP"),
        c.row("ours: loopback HTTP, scripted browser", samples["ours"], "5 requests, fresh browser"),
        c.row("  HTTP floor: same browser, 5 requests to a hello app", samples["floor"], "same server class, no SAML"),
        [
            f"ours: {BROWSERS} concurrent browsers, {SECONDS:.0f} s",
            "",
            "",
            "",
            str(load["logins"]),
            f"{rate:.0f} logins/s ({1000 * BROWSERS / rate:.1f} ms each)",
        ],
    ]
    c.print_table("4. SP-initiated login over loopback HTTP (demo workspace, user alice)", c.TIME_HEADERS, rows)
    med = c.median_ms(samples["ours"])
    ratio = c.median_ms(samples["stock"]) / med
    c.ratio_line(
        "login_loopback",
        f"{ratio:.1f}x faster than stock pysaml2 in-process (median {med:.2f} ms, target < 6 ms; "
        f"{rate:.0f} logins/s with {BROWSERS} browsers)",
        med < 6,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        load_child(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        main()
