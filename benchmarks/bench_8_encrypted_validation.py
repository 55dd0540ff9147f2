"""8. Decrypt and validate an encrypted Response (7 kB and 1.1 MB), vs python3-saml strict, same key.

The Responses are the ones of bench 2 (assertion and response signed, RSA-2048, SHA-256) with
the signed Assertion encrypted as the mock IdP encrypts it by default: AES-256-GCM, the session
key wrapped with RSA-OAEP (MGF1 SHA-1) to the SP's RSA-2048 encryption certificate.

Ours: `sp.validate.Validator.run` as the ACS runs it, with `sp.decrypt` in it: the Response
signature verified over the encrypted form, the allow-list checked, the session key and the
Assertion decrypted in process (libxmlsec1), the plaintext spliced back and parsed safely, then
every check of bench 2 on the decrypted Assertion.

Baseline: python3-saml strict `OneLogin_Saml2_Response.is_valid` with wantAssertionsEncrypted,
wantAssertionsSigned and wantMessagesSigned and the same private key, then `get_attributes()`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c


def main() -> None:

    from mock_idp.response import issue

    enc = c.make_keypair("sp-encryption.bench.test")
    spc = c.sp_config()
    sub = replace(spc.subscriptions[0], encryption_key_pem=enc.key_pem, encryption_cert_pem=enc.cert_pem)
    settings = c.onelogin_settings(spc, encryption=enc)
    request_id = "_bench-request-0008"
    rows: list[list[str]] = []
    results: dict[str, tuple[float, float]] = {}
    for label, user, rounds, n_each in (("small", c.small_user(), 40, 10), ("1.1 MB", c.large_user(), 12, 1)):
        sp = replace(c.sp_settings(spc, user), encrypt_assertion=True, encryption_cert_pem=enc.cert_pem)
        kp = c.keys()
        issued = issue(
            idp_entity_id=c.IDP_ENTITY,
            sp=sp,
            user=user,
            key_pem=kp.key_pem,
            cert_pem=kp.cert_pem,
            in_response_to=request_id,
        )
        assert b"EncryptedAssertion" in issued.xml and b"<saml:Assertion" not in issued.xml
        request_data = c.onelogin_request_data(spc, issued.b64)

        def onelogin(b64: str = issued.b64, rd: dict = request_data) -> int:
            return c.onelogin_read(settings, b64, rd, request_id)

        def ours(b64: str = issued.b64) -> int:
            v = c.bench_validator(sub, spc)
            identity = v.run(b64)
            if not any(ch.name == "Decryption" and ch.ok for ch in v.checks):
                raise RuntimeError("ours did not decrypt")
            return len(identity.attributes)

        assert onelogin() == ours() == len(user.extra) + len(c.STANDARD), "both must read every attribute"
        samples = c.interleaved({"onelogin": (onelogin, n_each), "ours": (ours, n_each)}, rounds=rounds, budget=20)
        size = f"{len(issued.xml) / 1000:.1f} kB" if len(issued.xml) < 100_000 else f"{len(issued.xml) / 1e6:.2f} MB"
        rows += [
            c.row(
                f"{label}: python3-saml strict, decrypt + is_valid + attributes",
                samples["onelogin"],
                f"{size}, baseline",
            ),
            c.row(f"{label}: ours, Validator.run with decryption (every check)", samples["ours"], size),
        ]
        results[label] = (c.median_ms(samples["onelogin"]), c.median_ms(samples["ours"]))
    c.print_table(
        "8. Decrypt and validate an encrypted Response (AES-256-GCM, RSA-OAEP, RSA-2048; both signatures)",
        c.TIME_HEADERS,
        rows,
    )
    (ol_s, us_s), (ol_l, us_l) = results["small"], results["1.1 MB"]
    c.ratio_line(
        "encrypted_validation",
        f"{ol_s / us_s:.1f}x faster than python3-saml strict on 7 kB ({us_s:.2f} vs {ol_s:.2f} ms), "
        f"{ol_l / us_l:.2f}x on 1.1 MB ({us_l:.1f} vs {ol_l:.1f} ms) (target > 1x on both)",
        us_s < ol_s and us_l < ol_l,
    )


if __name__ == "__main__":
    main()
