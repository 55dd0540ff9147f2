"""The HTTP-Redirect query-string signature explained (harness.core.explain_redirect)."""

import base64
from urllib.parse import quote_plus

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from harness.core.explain import explain_redirect_signature
from samlkit import codec, ns


def _signed_redirect(sign_fixtures, key_pem: bytes) -> tuple[str, bytes, str]:
    value = quote_plus(codec.encode_redirect(etree.tostring(sign_fixtures.authn_request())))
    signed = f"SAMLRequest={value}&RelayState=%2Fhome&SigAlg={quote_plus(ns.SIG_ALGS['rsa-sha256'])}".encode()
    key = serialization.load_pem_private_key(key_pem, password=None)
    signature = base64.b64encode(key.sign(signed, padding.PKCS1v15(), hashes.SHA256())).decode()
    return value, signed, signature


@pytest.mark.parametrize("same_key", [True, False])
def test_redirect_signature(sign_fixtures, same_key):
    key = sign_fixtures.key_pem if same_key else sign_fixtures.other_key_pem
    _, signed, signature = _signed_redirect(sign_fixtures, key)
    info = explain_redirect_signature(
        element="AuthnRequest",
        element_id="_req1",
        sig_alg=ns.SIG_ALGS["rsa-sha256"],
        signature=signature,
        signed_query=signed,
        trusted_cert_pem=sign_fixtures.cert_pem,
    )
    assert info.sig_alg == "rsa-sha256" and info.value_ok is same_key
    assert ("does not verify" in info.verdict) is not same_key


def test_redirect_signature_without_sig_alg():
    info = explain_redirect_signature(
        element="AuthnRequest", element_id="", sig_alg=None, signature="abc", signed_query=None, trusted_cert_pem=None
    )
    assert "no SigAlg" in info.verdict
