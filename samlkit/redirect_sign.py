"""The HTTP-Redirect binding's detached signature: SigAlg and Signature in the query string.

SAML bindings §3.4.4.1: the signature covers the octets `SAMLRequest=…&RelayState=…&SigAlg=…`
(or SAMLResponse) exactly as they appear URL-encoded in the query. Signing and verifying are
done in-process with `cryptography` (RSA PKCS#1 v1.5 or ECDSA), never with the xmlsec1 program.
A verifier rebuilds the signed octets from the raw query it received, never from re-encoded
values, so a different but equivalent encoding does not verify.
"""

from __future__ import annotations

import base64
import functools
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from samlkit import codec, ns, raw_sign
from samlkit.xmldsig import SignatureProblem

_HASHES = raw_sign.HASHES
_BY_URI = {uri: name for name, uri in ns.SIG_ALGS.items()}
MAX_SIGNATURE_CHARS = 4096  # base64 of a 16,384-bit RSA signature is ~2,730 characters


@functools.lru_cache(maxsize=64)
def _public_key(cert_pem: bytes) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("only RSA and EC certificates can verify SAML messages")
    return key


def signed_octets(param: str, value: str, relay_state: str | None, sig_alg_uri: str) -> str:
    """The URL-encoded query a Redirect signature covers (RelayState only when there is one)."""
    parts = [f"{param}={codec.form_quote(value)}"]
    if relay_state:
        parts.append(f"RelayState={codec.form_quote(relay_state)}")
    parts.append(f"SigAlg={codec.form_quote(sig_alg_uri)}")
    return "&".join(parts)


def sign_query(param: str, value: str, relay_state: str | None, key_pem: bytes, hash_name: str = "sha256") -> str:
    """The whole signed query string for `param` (SAMLRequest or SAMLResponse) = `value` (deflated base64)."""
    key = raw_sign.private_key(key_pem)
    alg = f"{raw_sign.key_type(key)}-{hash_name}"
    query = signed_octets(param, value, relay_state, ns.SIG_ALGS[alg])
    raw = raw_sign.sign(query.encode("ascii"), key, hash_name)
    return f"{query}&Signature={codec.form_quote(base64.b64encode(raw).decode('ascii'))}"


SAML_PARAMS = ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature")


def _decoded(raw: str) -> str:
    """A raw query piece as Werkzeug's parser reads it (the query arrives latin-1-decoded)."""
    return unquote_plus(raw.encode("latin-1", "replace").decode("utf-8", "replace"), errors="replace")


def _raw_params(raw_query: str) -> dict[str, str]:
    """The raw (still URL-encoded) value of each parameter, by its decoded name, as the browser sent it.

    Names are decoded as the web framework decodes them: `SAML%52equest` is SAMLRequest to the
    reader, so it must be to the verifier too, or a second, unsigned message could ride in front
    of the signed one. A SAML parameter named twice (or both SAMLRequest and SAMLResponse) is
    refused: which one counts would depend on who reads the query.
    """
    found: dict[str, str] = {}
    for piece in raw_query.split("&"):
        raw_name, _, value = piece.partition("=")
        name = _decoded(raw_name)
        if name in found and name in SAML_PARAMS:
            raise SignatureProblem("signature-invalid", f"the query string carries {name} more than once")
        found.setdefault(name, value)
    if "SAMLRequest" in found and "SAMLResponse" in found:
        raise SignatureProblem("signature-invalid", "the query string carries both SAMLRequest and SAMLResponse")
    return found


def signed_message(raw_query: str) -> tuple[str | None, str, str | None]:
    """(SAMLRequest or SAMLResponse, its decoded value, the decoded RelayState) of a raw query: what
    a verified query signature vouches for, to compare with what the reader took."""
    params = _raw_params(raw_query)
    param = next((p for p in ("SAMLRequest", "SAMLResponse") if p in params), None)
    relay = params.get("RelayState")
    return param, _decoded(params[param]) if param else "", _decoded(relay) if relay is not None else None


def verify_query(raw_query: str, cert_pem: bytes, *, allow_sha1: bool = False) -> str:
    """Check the SigAlg/Signature of a received Redirect query; returns the algorithm's short name.

    Raises SignatureProblem (signature-missing, algorithm-unsupported, weak-algorithm,
    signature-invalid, trust-misconfigured).
    """
    params = _raw_params(raw_query)
    param = next((p for p in ("SAMLRequest", "SAMLResponse") if p in params), None)
    if param is None:
        raise SignatureProblem("signature-invalid", "the query carries no SAMLRequest or SAMLResponse")
    if "Signature" not in params or "SigAlg" not in params:
        raise SignatureProblem("signature-missing", "the query string has no SigAlg and Signature")
    sig_alg = unquote_plus(params["SigAlg"])
    name = _BY_URI.get(sig_alg)
    if name is None:
        raise SignatureProblem("algorithm-unsupported", f"the signature algorithm {sig_alg!r} is not accepted")
    if sig_alg in ns.WEAK_ALGS and not allow_sha1:
        raise SignatureProblem("weak-algorithm", "the query string is signed with SHA-1, which is refused")
    pieces = [f"{param}={params[param]}"]
    if "RelayState" in params:
        pieces.append(f"RelayState={params['RelayState']}")
    pieces.append(f"SigAlg={params['SigAlg']}")
    # the query string arrives as latin-1-decoded bytes: encode it back to exactly those octets
    data = "&".join(pieces).encode("latin-1", "replace")
    text = unquote_plus(params["Signature"])
    if len(text) > MAX_SIGNATURE_CHARS:
        raise SignatureProblem("signature-invalid", "the Signature parameter is too long to be a signature")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise SignatureProblem("signature-invalid", "the Signature parameter is not base64") from None
    try:
        public = _public_key(cert_pem)
    except ValueError as err:
        raise SignatureProblem("trust-misconfigured", "the trusted certificate cannot be loaded") from err
    key_type, _, hash_name = name.partition("-")
    if not _verifies(public, key_type, hash_name, raw, data):
        raise SignatureProblem(
            "signature-invalid", "the query-string signature does not verify with the trusted certificate"
        )
    return name


def _verifies(public: object, key_type: str, hash_name: str, raw: bytes, data: bytes) -> bool:
    algorithm = _HASHES[hash_name]
    try:
        if key_type == "rsa" and isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, data, padding.PKCS1v15(), algorithm)
            return True
        if key_type == "ecdsa" and isinstance(public, ec.EllipticCurvePublicKey):
            size = (public.curve.key_size + 7) // 8
            if len(raw) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
            public.verify(der, data, ec.ECDSA(algorithm))
            return True
    except InvalidSignature:
        return False
    return False
