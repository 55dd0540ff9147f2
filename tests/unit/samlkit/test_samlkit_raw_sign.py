"""samlkit.raw_sign: the one signer of XML-DSig values and Redirect query signatures.

RSA gives libxmlsec1's octets exactly; ECDSA gives r || s; loaded keys are cached, bounded,
and never served for another PEM.
"""

from __future__ import annotations

import pytest
import xmlsec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from saml_helpers import Keys

from samlkit import raw_sign

_XMLSEC_RSA = {
    "sha1": xmlsec.Transform.RSA_SHA1,
    "sha256": xmlsec.Transform.RSA_SHA256,
    "sha384": xmlsec.Transform.RSA_SHA384,
    "sha512": xmlsec.Transform.RSA_SHA512,
}


@pytest.mark.parametrize("hash_name", sorted(_XMLSEC_RSA))
def test_rsa_value_is_the_one_libxmlsec1_makes(keys: Keys, hash_name: str) -> None:
    data = b"<ds:SignedInfo>the octets</ds:SignedInfo>"
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(keys.idp.key_pem, xmlsec.KeyFormat.PEM)
    expected = ctx.sign_binary(data, _XMLSEC_RSA[hash_name])
    key = raw_sign.private_key(keys.idp.key_pem)
    assert raw_sign.key_type(key) == "rsa"
    assert raw_sign.sign(data, key, hash_name) == expected


def _verifies_ec(public: ec.EllipticCurvePublicKey, value: bytes, data: bytes) -> bool:
    size = (public.curve.key_size + 7) // 8
    assert len(value) == 2 * size
    der = encode_dss_signature(int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big"))
    try:
        public.verify(der, data, ec.ECDSA(raw_sign.HASHES["sha256"]))
    except InvalidSignature:
        return False
    return True


def test_ecdsa_value_is_r_then_s(keys: Keys) -> None:
    key = raw_sign.private_key(keys.ec.key_pem)
    assert raw_sign.key_type(key) == "ecdsa"
    value = raw_sign.sign(b"data", key, "sha256")
    assert _verifies_ec(key.public_key(), value, b"data")
    assert not _verifies_ec(key.public_key(), value, b"other data")


def test_an_unsupported_key_type_is_refused() -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    with pytest.raises(ValueError, match="only RSA and EC"):
        raw_sign.private_key(pem)


def test_the_key_cache_is_bounded_and_serves_each_pem_its_own_key() -> None:
    raw_sign.private_key.cache_clear()
    pems = [
        ec.generate_private_key(ec.SECP256R1()).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        for _ in range(raw_sign.KEY_CACHE_SIZE + 8)
    ]
    publics = []
    for pem in pems + pems[:4]:  # the first four again, after they were evicted
        key = raw_sign.private_key(pem)
        assert raw_sign.private_key.cache_info().currsize <= raw_sign.KEY_CACHE_SIZE
        value = raw_sign.sign(b"data", key, "sha256")
        assert _verifies_ec(key.public_key(), value, b"data")
        publics.append(key.public_key())
    for i in range(4):
        assert publics[i].public_numbers() == publics[len(pems) + i].public_numbers()
    # a signature made with one PEM does not verify with another PEM's key: no cross-serving
    value = raw_sign.sign(b"data", raw_sign.private_key(pems[0]), "sha256")
    assert not _verifies_ec(publics[1], value, b"data")
    assert raw_sign.private_key.cache_info().currsize == raw_sign.KEY_CACHE_SIZE
