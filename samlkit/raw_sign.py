"""Raw signatures over octets with a private key, in-process with `cryptography`.

One signer serves both the XML-DSig SignatureValue (xmldsig.sign) and the Redirect binding's
detached signature (redirect_sign). RSA is PKCS#1 v1.5, which is deterministic: the octets are
the ones libxmlsec1's sign_binary gives for the same key and input (~0.05 ms cheaper per
RSA-2048 signature). ECDSA values are r || s, each the curve's size (RFC 4050), as XML-DSig and
the Redirect binding want them. Tests check the XML signatures made here with libxmlsec1.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_private_key

HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
KEY_CACHE_SIZE = 32
_PKCS1 = padding.PKCS1v15()

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def private_key(key_pem: bytes) -> PrivateKey:
    """The loaded private key of a PEM (bounded cache: a PEM is parsed once, not per signature).

    The RSA consistency check is skipped as libxmlsec1 skips it (OpenSSL checks each CRT result
    before returning a signature); it costs ~80 ms per RSA-2048 key.
    """
    key = load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, PrivateKey):
        raise ValueError("only RSA and EC keys can sign SAML messages")
    return key


def key_type(key: PrivateKey) -> str:
    """'rsa' or 'ecdsa': the first half of an algorithm's short name (rsa-sha256)."""
    return "ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"


def sign(data: bytes, key: PrivateKey, hash_name: str) -> bytes:
    """The raw signature value of `data` (RSA PKCS#1 v1.5, or ECDSA as r || s)."""
    algorithm = HASHES[hash_name]
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _PKCS1, algorithm)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(algorithm)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
