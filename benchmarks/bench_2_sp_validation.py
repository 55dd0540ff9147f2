"""2. SP validation of one signed Response (7 kB and 1.1 MB), vs python3-saml in strict mode.

Ours: `sp.validate.Validator.run` on the posted base64 value, exactly as the ACS runs it: plain
base64 only, DOCTYPE/entity/encoding/depth refusal before and while parsing, SAML 2.0
Response, unique IDs, Issuer, Destination, Status, exactly one Assertion, the Response
signature and the Assertion signature each verified with the trusted certificate only (one
Reference to the element's own ID, enveloped + exc-c14n only, no SHA-1), bearer
Recipient, NotBefore/NotOnOrAfter with skew, Audience, NameID SPNameQualifier, InResponseTo
bound to the request of this browser, replay lookup, AuthnStatement session expiry, and the
identity read from the verified Assertion. Also shown: the whole ACS (the form POSTed to the SP
app: replay cache write, mapping, session), which is what a browser waits for.

Baseline: python3-saml (OneLogin) strict `OneLogin_Saml2_Response.is_valid` with
wantAssertionsSigned and wantMessagesSigned, then `get_attributes()`, on the same Response.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c


def main() -> None:
    from werkzeug.test import Client


    spc = c.sp_config()
    sub = spc.subscriptions[0]
    settings = c.onelogin_settings(spc)
    request_id = "_bench-request-0001"
    rows: list[list[str]] = []
    results: dict[str, tuple[float, float]] = {}
    sp_app, _ = c.make_apps(state_path=str(Path(tempfile.mkdtemp(prefix="bench2-")) / "sp_state.sqlite"))
    for label, user, rounds, n_each in (("small", c.small_user(), 40, 10), ("1.1 MB", c.large_user(), 12, 1)):
        issued = c.issue_response(user, in_response_to=request_id)
        request_data = c.onelogin_request_data(spc, issued.b64)

        def onelogin(b64: str = issued.b64, rd: dict = request_data) -> int:
            return c.onelogin_read(settings, b64, rd, request_id)

        def ours(b64: str = issued.b64) -> int:
            v = c.bench_validator(sub, spc)
            return len(v.run(b64).attributes)

        # Fresh unsolicited Responses for the whole ACS, made before timing (each is new to the replay cache).
        bodies = iter(["SAMLResponse=" + c.form_value(c.issue_response(user).b64) for _ in range(rounds * n_each + 1)])

        def acs(bodies=bodies) -> None:
            r = Client(sp_app).post(spc.acs_path, data=next(bodies), content_type="application/x-www-form-urlencoded")
            if r.status_code != 303:
                raise RuntimeError(f"the ACS refused: {r.headers.get('X-SAML-Reason')}")

        assert onelogin() == ours() == len(user.extra) + len(c.STANDARD), "both must read every attribute"
        samples = c.interleaved({"onelogin": (onelogin, n_each), "ours": (ours, n_each)}, rounds=rounds, budget=20)
        acs_samples = c.measure(acs, runs=rounds * n_each, warmup=1, budget=10)
        size = f"{len(issued.xml) / 1000:.1f} kB" if len(issued.xml) < 100_000 else f"{len(issued.xml) / 1e6:.2f} MB"
        rows += [
            c.row(f"{label}: python3-saml strict is_valid + attributes", samples["onelogin"], f"{size}, baseline"),
            c.row(f"{label}: ours, Validator.run (every security-baseline check)", samples["ours"], size),
            c.row(
                f"{label}: ours, the whole ACS (test client POST)", acs_samples, "form, replay cache, mapping, session"
            ),
        ]
        results[label] = (c.median_ms(samples["onelogin"]), c.median_ms(samples["ours"]))
    c.print_table(
        "2. SP validation of one signed Response (assertion and response signed, RSA-2048, SHA-256)",
        c.TIME_HEADERS,
        rows,
    )
    (ol_s, us_s), (ol_l, us_l) = results["small"], results["1.1 MB"]
    c.ratio_line(
        "sp_validation",
        f"{ol_s / us_s:.1f}x faster than python3-saml strict on 7 kB ({us_s:.2f} vs {ol_s:.2f} ms), "
        f"{ol_l / us_l:.2f}x on 1.1 MB ({us_l:.1f} vs {ol_l:.1f} ms) (target > 1x on both)",
        us_s < ol_s and us_l < ol_l,
    )


if __name__ == "__main__":
    main()
