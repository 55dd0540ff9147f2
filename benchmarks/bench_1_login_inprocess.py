"""1. A full SP-initiated login in-process, vs stock pysaml2 doing the same.

Ours: the vendor SP and the mock IdP as WSGI apps, driven by a minimal WSGI browser (a fresh
one each login: a plain environ per request and the cookies the apps set; `common.WSGIBrowser`;
werkzeug's test client, shown too, spends 0.6 ms per login outside the apps): GET the unique
login URL (302 with an AuthnRequest), GET the IdP's SSO URL
(login form), POST the credentials (an auto-posting form with a Response, assertion and
response both signed, RSA-2048, SHA-256), POST the Response to the ACS (every security-baseline
check, replay cache, mapping, session: 303). SP state in a SQLite file, as the app runs.

Baseline: a pysaml2 Saml2Client + Server pair with pysaml2's default crypto backend (it forks
/usr/bin/xmlsec1), same keys, same signing: prepare_for_authenticate (HTTP-Redirect),
parse_authn_request, create_authn_response (sign assertion and response), then
parse_authn_request_response. Shown too: the same pysaml2 pair with our in-process backend.

Target: at least 40x faster than the baseline, under 3 ms median.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c


def step_breakdown(login: c.InProcessLogin, runs: int) -> list[list[str]]:
    """Median time of each of the four requests (werkzeug's test client included), over `runs` logins."""
    from urllib.parse import urlsplit

    from werkzeug.test import Client

    steps: dict[str, list[float]] = {
        k: [] for k in ("SP login URL -> 302", "IdP SSO -> form", "IdP login -> Response", "SP ACS -> 303")
    }
    names = list(steps)
    for _ in range(runs):
        csp, cidp = Client(login.sp), Client(login.idp)
        t0 = time.perf_counter()
        r = csp.get(login.login_path)
        t1 = time.perf_counter()
        loc = urlsplit(r.headers["Location"])
        r = cidp.get(f"{loc.path}?{loc.query}")
        t2 = time.perf_counter()
        html = r.get_data(as_text=True)
        fields = {
            "t": re.search(r'name="t" value="([^"]+)"', html).group(1),
            "csrf": re.search(r'name="csrf" value="([^"]+)"', html).group(1),
            "username": login.username,
            "password": login.password,
        }
        t2b = time.perf_counter()
        r = cidp.post("/login", data=fields)
        t3 = time.perf_counter()
        value = re.search(r'name="SAMLResponse" value="([^"]+)"', r.get_data(as_text=True)).group(1)
        body = "SAMLResponse=" + c.form_value(value)
        t3b = time.perf_counter()
        r = csp.post(login.acs_path, data=body, content_type="application/x-www-form-urlencoded")
        t4 = time.perf_counter()
        assert r.status_code == 303
        for name, dt in zip(names, (t1 - t0, t2 - t1, t3 - t2b, t4 - t3b), strict=False):
            steps[name].append(dt)
    return [c.row(f"  of which {name}", samples) for name, samples in steps.items()]


def main() -> None:
    state = tempfile.mkdtemp(prefix="bench1-")
    sp, idp = c.make_apps(state_path=str(Path(state) / "sp_state.sqlite"))
    ours = c.InProcessLogin(sp, idp)
    via_test_client = c.InProcessLogin(sp, idp, client="werkzeug")
    user = c.small_user()
    stock = c.stock_pair(crypto="xmlsec1")
    inproc = c.stock_pair(crypto="inprocess")

    # Rounds alternate: 1 stock login, 2 pysaml2-in-process logins, 25 of ours.
    samples = c.interleaved(
        {
            "stock": (lambda: c.stock_login(stock, user), 1),
            "pysaml2+inprocess": (lambda: c.stock_login(inproc, user), 2),
            "ours": (ours.run, 25),
            "test client": (via_test_client.run, 10),
        },
        rounds=20,
        budget=35,
    )
    rows = [
        c.row("stock pysaml2 (xmlsec1 forks), same login", samples["stock"], "baseline"),
        c.row("pysaml2 with our in-process xmlsec backend", samples["pysaml2+inprocess"]),
        c.row("ours: SP + mock IdP, minimal WSGI browser", samples["ours"], "4 requests, fresh browser"),
        c.row("  same, driven by werkzeug's test client", samples["test client"], "0.6 ms of driver more"),
        *step_breakdown(via_test_client, 200),
    ]
    c.print_table(
        "1. SP-initiated login, in-process (RSA-2048, SHA-256, assertion and response signed)", c.TIME_HEADERS, rows
    )
    med = c.median_ms(samples["ours"])
    ratio = c.median_ms(samples["stock"]) / med
    c.ratio_line(
        "login_inprocess",
        f"{ratio:.1f}x faster than stock pysaml2 (target >= 40x, median {med:.2f} ms, target < 3 ms)",
        ratio >= 40 and med < 3,
    )


if __name__ == "__main__":
    main()
