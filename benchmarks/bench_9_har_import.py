"""9. Import a 50 MB HAR holding 200 SAML messages (100 logins) into a checked trace.

Ours: `read_capture` + `capture_to_trace` with the IdP's certificate: JSON parse, every entry
type-checked, each SAML message found (query, form body, Location, an auto-post page),
decoded, summarised and its signatures verified, roles inferred, steps built.

Baseline, same run: `json.loads` of the same bytes alone, the floor any HAR reader pays.
The HAR: 100 SP-initiated logins (AuthnRequest in a Location and in the IdP's URL, a signed
7.5 kB Response in the ACS form body, pages without bodies as Chromium records them), padded
with script and style responses to 50 MB, as a whole browsing session's capture is.

Target: under 2 s.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c

SP, IDP = c.SP_BASE, c.IDP_BASE
LOGINS = 100
TARGET_BYTES = 50 * 1000 * 1000


def _entry(method: str, url: str, status: int, *, location: str = "", post: str = "", text: str = "") -> dict:
    headers = [{"name": "Location", "value": location}] if location else []
    e = {
        "startedDateTime": "2026-12-04T10:00:00.000Z",
        "time": 1,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": len(post)},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": headers,
                     "cookies": [], "content": {"size": len(text), "mimeType": "text/javascript", "text": text},
                     "redirectURL": location, "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
    }
    if post:
        e["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded", "text": post}
    return e


def _authn_request(n: int) -> str:
    xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_bench-request-{n}" Version="2.0" '
           f'IssueInstant="2026-12-04T10:00:00Z" Destination="{IDP}/sso" '
           f'AssertionConsumerServiceURL="{SP}/IdM/saml2/"><saml:Issuer>QualysGuard_SharedPlatformSAML20SP</saml:Issuer>'
           "</samlp:AuthnRequest>")
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    return quote(base64.b64encode(raw.compress(xml.encode()) + raw.flush()).decode(), safe="")


def build_har() -> bytes:
    entries, user = [], c.small_user()
    for n in range(LOGINS):
        request = _authn_request(n)
        issued = c.issue_response(user, in_response_to=f"_bench-request-{n}")
        entries += [
            _entry("GET", f"{SP}/fo/login.php?idm_key=4711", 302, location=f"{IDP}/sso?SAMLRequest={request}"),
            _entry("GET", f"{IDP}/sso?SAMLRequest={request}", 200),
            _entry("POST", f"{IDP}/login", 200, post="username=alice&password=x"),
            _entry("POST", f"{SP}/IdM/saml2/", 303, location=f"{SP}/home",
                   post="SAMLResponse=" + c.form_value(issued.b64)),
            _entry("GET", f"{SP}/home", 200),
        ]
    size = len(json.dumps({"log": {"entries": entries}}))
    filler = "var x = 1; // padding of a bundled script\n" * 6000
    while size < TARGET_BYTES:
        entries.append(_entry("GET", f"{SP}/static/app.js", 200, text=filler))
        size += len(filler) + 600
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "bench"}, "entries": entries}}).encode()


def main() -> None:
    from harness.core.capture.load import read_capture
    from harness.core.capture.to_trace import capture_to_trace

    data = build_har()
    cert = c.keys().cert_pem

    def ours() -> None:
        trace = capture_to_trace(read_capture(data), trusted_cert=cert)
        responses = [s for s in trace.steps if s.message and s.message.summary.kind == "Response"]
        if len(responses) != LOGINS or not all(s.message.signatures[0].value_ok for s in responses):
            raise RuntimeError("every Response should be found and verify")

    def floor() -> None:
        json.loads(data)

    samples = c.interleaved({"json": (floor, 1), "ours": (ours, 1)}, rounds=5, budget=60)
    rows = [
        c.row("json.loads of the HAR (the floor)", samples["json"], f"{len(data) / 1e6:.1f} MB"),
        c.row("ours: read_capture + capture_to_trace", samples["ours"], f"{2 * LOGINS} messages, signatures checked"),
    ]
    c.print_table("9. Import a 50 MB HAR with 200 SAML messages", c.TIME_HEADERS, rows)
    med = c.median_ms(samples["ours"])
    over = med / c.median_ms(samples["json"])
    c.ratio_line("har_import", f"{med:.0f} ms median, {over:.1f}x the JSON parse alone (target < 2000 ms)", med < 2000)


if __name__ == "__main__":
    main()
