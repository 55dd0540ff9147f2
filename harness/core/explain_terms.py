"""How explanations name what they examine: signature, digest and transform algorithms by short
name, and certificates read leniently (PEM or the bare base64 of DER, as metadata carries them)
with their subject and SHA-256 fingerprint. Nothing here raises on hostile input."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from harness.core.certs import colon_fp
from samlkit import codec, ns
from samlkit.dsig_recompute import C14N_10, C14N_10_COMMENTS, C14N_11, C14N_11_COMMENTS

TRANSFORM_NAMES = {
    ns.TRANSFORM_ENVELOPED: "enveloped",
    ns.C14N_EXC: "exc-c14n",
    ns.C14N_EXC_COMMENTS: "exc-c14n-with-comments",
    C14N_10: "c14n",
    C14N_10_COMMENTS: "c14n-with-comments",
    C14N_11: "c14n11",
    C14N_11_COMMENTS: "c14n11-with-comments",
    "http://www.w3.org/TR/1999/REC-xpath-19991116": "xpath",
    "http://www.w3.org/2002/06/xmldsig-filter2": "xpath-filter2",
    "http://www.w3.org/TR/1999/REC-xslt-19991116": "xslt",
    "http://www.w3.org/2000/09/xmldsig#base64": "base64",
}
SIG_NAMES = {uri: name for name, uri in ns.SIG_ALGS.items()} | {
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1": "dsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "hmac-sha1",
}
DIGEST_NAMES = {uri: name for name, uri in ns.DIGEST_ALGS.items()}
HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

REDIRECT_REFERENCE = "(HTTP-Redirect query string)"


def short_name(uri: str | None, names: dict[str, str]) -> str:
    if not uri:
        return ""
    return names.get(uri, uri)


def fingerprint_display(sha256_hex: str | None) -> str:
    """'3B:1F:22:0A:…' from a lowercase hex fingerprint."""
    return colon_fp(sha256_hex, 4) if sha256_hex else "?"


@dataclass
class Cert:
    cert: x509.Certificate | None
    sha256: str
    subject: str | None
    pem_text: bool = False  # KeyInfo held base64 of the PEM text, not of the DER

    @property
    def pem(self) -> bytes | None:
        return self.cert.public_bytes(serialization.Encoding.PEM) if self.cert is not None else None

    def label(self) -> str:
        return f"{self.subject or 'an unreadable certificate'} (SHA-256 {fingerprint_display(self.sha256)})"


def cert_from_der(der: bytes) -> Cert:
    sha = hashlib.sha256(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string() or "(empty subject)"
    except Exception:  # cryptography raises ValueError and friends on junk
        return Cert(None, sha, None)
    return Cert(cert, sha, subject)


def load_certificate(data: bytes | str | None) -> Cert | None:
    """A certificate given as PEM, or as the bare base64 of its DER (as metadata carries it)."""
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if b"-----BEGIN" in data:
        try:
            cert = x509.load_pem_x509_certificate(data)
        except Exception:
            return None
        return cert_from_der(cert.public_bytes(serialization.Encoding.DER))
    try:
        der = codec.b64decode_strict(data)
    except codec.DecodeError:
        return None
    found = cert_from_der(der)
    return found if found.cert is not None else None


def b64_or_none(text: str) -> bytes | None:
    try:
        return codec.b64decode_strict(text)
    except codec.DecodeError:
        return None
