"""samlkit.metadata_xml: a certificate's base64 body, cached per PEM."""

from __future__ import annotations

from saml_helpers import Keys

from samlkit.metadata_xml import cert_b64


def test_cert_b64_cache_is_bounded_and_keyed_by_the_pem(keys: Keys) -> None:
    cert_b64.cache_clear()
    pems = [keys.idp.cert_pem, keys.foreign.cert_pem, keys.ec.cert_pem]
    bodies = [cert_b64(p) for p in pems]
    assert len(set(bodies)) == 3  # another certificate is never served from the cache
    for pem, body in zip(pems, bodies, strict=True):
        assert "-----" not in body and "\n" not in body
        assert body == "".join(pem.decode().strip().splitlines()[1:-1])
    for i in range(cert_b64.cache_info().maxsize + 10):
        cert_b64(b"-----BEGIN CERTIFICATE-----\nQUJD%d\n-----END CERTIFICATE-----\n" % i)
    assert cert_b64.cache_info().currsize == cert_b64.cache_info().maxsize
    assert cert_b64(keys.idp.cert_pem) == bodies[0]
