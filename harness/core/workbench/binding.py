"""How an edited message travels: HTTP-POST form fields, or an HTTP-Redirect URL (deflated, with
SigAlg/Signature over the query string when a request is signed, as the Redirect binding signs)."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.core.certs import KeyPair
from harness.core.safe_url import urlsplit
from harness.core.workbench.message import WorkbenchError
from samlkit import codec, ns, xmldsig

POST, REDIRECT = "post", "redirect"
BINDINGS = (POST, REDIRECT)
_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def post_fields(param: str, xml: bytes, relay_state: str | None) -> dict[str, str]:
    fields = {param: codec.encode_post(xml)}
    if relay_state is not None:
        fields["RelayState"] = relay_state
    return fields


def _sign_octets(pair: KeyPair, data: bytes, hash_name: str) -> tuple[str, bytes]:
    """(SigAlg URI, raw signature) as XML DSig spells them (ECDSA as r||s)."""
    try:
        key = load_pem_private_key(pair.key_pem, password=None)
    except (ValueError, TypeError) as err:
        raise WorkbenchError(f"the signing key does not parse: {err}") from err
    algorithm = _HASHES[hash_name]()
    if isinstance(key, rsa.RSAPrivateKey):
        return ns.SIG_ALGS[f"rsa-{hash_name}"], key.sign(data, padding.PKCS1v15(), algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(algorithm)))
        size = (key.curve.key_size + 7) // 8
        return ns.SIG_ALGS[f"ecdsa-{hash_name}"], r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise WorkbenchError("the signing key is neither RSA nor EC")


def redirect_url(
    url: str,
    param: str,
    xml: bytes,
    relay_state: str | None,
    *,
    signer: KeyPair | None = None,
    hash_name: str = "sha256",
) -> str:
    """`url` with the deflated message (and RelayState, SigAlg, Signature) in its query string."""
    parts = [f"{param}={quote_plus(codec.encode_redirect(xml))}"]
    if relay_state is not None:
        parts.append(f"RelayState={quote_plus(relay_state)}")
    if signer is not None:
        parts.append(f"SigAlg={quote_plus(_alg_uri(signer, hash_name))}")
        signed = "&".join(parts).encode("ascii")
        _, raw = _sign_octets(signer, signed, hash_name)
        parts.append(f"Signature={quote_plus(base64.b64encode(raw).decode('ascii'))}")
    sep = "&" if urlsplit(url).query else "?"
    return url + sep + "&".join(parts)


def _alg_uri(pair: KeyPair, hash_name: str) -> str:
    try:
        kind = xmldsig.key_algorithm(pair.key_pem)
    except (ValueError, TypeError) as err:
        raise WorkbenchError(f"the signing key does not parse: {err}") from err
    return ns.SIG_ALGS[f"{kind}-{hash_name}"]
