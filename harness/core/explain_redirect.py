"""Explain the signature of an HTTP-Redirect message: its SigAlg/Signature query parameters,
checked over the signed query string against the trusted certificate."""

from __future__ import annotations

from harness.core.explain_terms import HASHES, REDIRECT_REFERENCE, SIG_NAMES, b64_or_none, load_certificate, short_name
from harness.core.trace import SignatureInfo
from samlkit import dsig_recompute, ns


def explain_redirect_signature(
    *,
    element: str,
    element_id: str,
    sig_alg: str | None,
    signature: str | None,
    signed_query: bytes | None,
    trusted_cert_pem: bytes | None,
) -> SignatureInfo:
    """The SigAlg/Signature pair of an HTTP-Redirect message, checked against the trusted cert."""
    info = SignatureInfo(
        element=element,
        element_id=element_id,
        reference_uri=REDIRECT_REFERENCE,
        sig_alg=short_name(sig_alg, SIG_NAMES),
    )
    trusted = load_certificate(trusted_cert_pem)
    if trusted is not None:
        info.trusted_cert_sha256 = trusted.sha256
        info.trusted_subject = trusted.subject
    if not sig_alg or not signature or signed_query is None:
        have, lack = ("Signature", "SigAlg") if not sig_alg else ("SigAlg", "Signature")
        info.value_ok = False if trusted is not None else None
        info.verdict = f"The query string has a {have} but no {lack}, so its signature cannot be checked."
        return info
    name = SIG_NAMES.get(sig_alg, "")
    weak = sig_alg in ns.WEAK_ALGS
    if trusted_cert_pem is not None and trusted is None:
        info.verdict = "The trusted certificate could not be read, so the query-string signature was not checked."
        return info
    if trusted is None:
        info.verdict = "No trusted certificate was given, so the query-string signature was not checked."
        return info
    key_type, _, hash_name = name.partition("-")
    raw = b64_or_none("".join(signature.replace(" ", "+").split()))
    if hash_name not in HASHES or key_type not in ("rsa", "ecdsa"):
        info.value_ok = False
        info.verdict = f"The query string is signed with {sig_alg!r}, an algorithm the SP does not accept."
        return info
    ok = raw is not None and dsig_recompute.verify_raw(trusted.cert, key_type, HASHES[hash_name](), raw, signed_query)
    info.value_ok = ok
    if ok:
        info.verdict = "The query-string signature verifies with the trusted certificate."
    else:
        info.verdict = (
            "The query-string signature does not verify with the trusted certificate: the URL was changed "
            f"after signing, or it was signed with a key other than {trusted.label()}'s."
        )
    if weak:
        info.verdict += " It uses SHA-1, which the SP refuses."
    return info
