"""samlkit.redirect_sign: the HTTP-Redirect query signature, made and checked in-process."""

from __future__ import annotations

from urllib.parse import parse_qs, quote_plus

import pytest
from saml_helpers import keys

from samlkit import ns
from samlkit.redirect_sign import sign_query, verify_query
from samlkit.xmldsig import SignatureProblem


@pytest.mark.parametrize("which", ["idp", "ec"])
def test_a_signed_query_verifies_with_its_certificate(which: str) -> None:
    kp = getattr(keys(), which)
    query = sign_query("SAMLRequest", "abc+/=", "/deep link?x=1", kp.key_pem)
    alg = verify_query(query, kp.cert_pem)
    assert alg == ("rsa-sha256" if which == "idp" else "ecdsa-sha256")
    q = parse_qs(query)
    assert q["SAMLRequest"] == ["abc+/="] and q["RelayState"] == ["/deep link?x=1"]
    assert q["SigAlg"] == [ns.SIG_ALGS[alg]]


def test_relay_state_is_left_out_when_there_is_none() -> None:
    query = sign_query("SAMLResponse", "xyz", None, keys().idp.key_pem)
    assert "RelayState" not in query and verify_query(query, keys().idp.cert_pem)


@pytest.mark.parametrize(
    "bend,code",
    [
        (lambda q: q.replace("SAMLRequest=abc", "SAMLRequest=abd"), "signature-invalid"),
        (lambda q: q.replace("RelayState=%2Fhome", "RelayState=%2Fevil"), "signature-invalid"),
        (lambda q: q.split("&Signature=")[0], "signature-missing"),
        (
            lambda q: q.replace(quote_plus(ns.SIG_ALGS["rsa-sha256"]), quote_plus(ns.SIG_ALGS["rsa-sha1"])),
            "weak-algorithm",
        ),
        (lambda q: q.replace("xmldsig-more%23rsa-sha256", "xmldsig-more%23hmac-sha256"), "algorithm-unsupported"),
        (lambda q: q.split("&Signature=")[0] + "&Signature=%%%", "signature-invalid"),
        (lambda q: "RelayState=x", "signature-invalid"),
    ],
)
def test_a_changed_query_does_not_verify(bend, code: str) -> None:
    query = sign_query("SAMLRequest", "abc", "/home", keys().idp.key_pem)
    with pytest.raises(SignatureProblem) as err:
        verify_query(bend(query), keys().idp.cert_pem)
    assert err.value.code == code


def test_another_key_does_not_verify_and_a_bad_certificate_is_a_trust_problem() -> None:
    query = sign_query("SAMLRequest", "abc", None, keys().foreign.key_pem)
    with pytest.raises(SignatureProblem) as err:
        verify_query(query, keys().idp.cert_pem)
    assert err.value.code == "signature-invalid"
    with pytest.raises(SignatureProblem) as err:
        verify_query(sign_query("SAMLRequest", "abc", None, keys().idp.key_pem), b"not a certificate")
    assert err.value.code == "trust-misconfigured"
