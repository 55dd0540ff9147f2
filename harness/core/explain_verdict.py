"""The verdict on one XML signature, written for a tester: digest and value stated separately and
exactly, then what the SP makes of it (refused, trusted another certificate, weak algorithm)."""

from __future__ import annotations

from harness.core.explain_terms import Cert
from harness.core.trace import SignatureInfo


def verdict(
    info: SignatureInfo,
    *,
    el: str,
    target_name: str,
    digest_reason: str,
    notes: list[str],
    problem: str,
    value_reason: str,
    keyinfo: Cert | None,
    trusted: Cert | None,
    trusted_unreadable: bool,
    signed_by_keyinfo: bool | None,
    weak: bool,
) -> str:
    """Digest and value are stated separately and exactly; then what the SP makes of it."""
    sentences: list[str] = []
    if info.digest_ok is False:
        sentences.append(f"Digest mismatch: the {target_name} was changed after it was signed.")
    elif info.digest_ok is None and digest_reason:
        sentences.append(f"The digest could not be recomputed: {digest_reason}.")
    sentences.extend(notes)

    if trusted_unreadable:
        sentences.append(
            "The trusted certificate could not be read (expected PEM or base64), so the signature "
            "value was not checked."
        )
    elif trusted is None:
        if not sentences and info.digest_ok:
            sentences.append("The digest matches: the content is as signed.")
        text = "No trusted certificate was given, so the signature value was not checked"
        sentences.append(text + (f"; KeyInfo carries {keyinfo.label()}." if keyinfo else "."))
    elif info.value_ok:
        sentences.extend(_value_holds(info, notes, problem, keyinfo))
    elif info.value_ok is None:
        sentences.append(f"The signature value was not checked: {value_reason}.")
        if problem:
            sentences.append(f"The SP refuses it: {problem}.")
    elif keyinfo is not None and info.cert_matches is False:
        verb = "is signed by" if signed_by_keyinfo else "names"
        sentences.append(
            f"The {el} {verb} {keyinfo.label()}, but this subscription trusts {trusted.label()}: "
            "the signature value does not verify with the trusted certificate. "
            "Update the certificate in the questionnaire, or switch the IdP back to its old key."
        )
    else:
        why = (
            "the SignedInfo was altered after signing (or the key that signed it is not this certificate's)"
            if info.cert_matches
            else "the SignedInfo was altered, or the signature was made with a key other than the trusted one"
        )
        sentences.append(f"The signature value does not verify with the trusted certificate: {why}.")
    if weak:
        sentences.append("It uses SHA-1, which the SP refuses.")
    return " ".join(sentences)


def _value_holds(info: SignatureInfo, notes: list[str], problem: str, keyinfo: Cert | None) -> list[str]:
    if info.digest_ok and not notes and not problem:
        out = ["The signature verifies with the trusted certificate."]
    elif info.digest_ok is False:
        out = [
            "The signature value verifies with the trusted certificate: the SignedInfo is intact, "
            "only the signed content changed."
        ]
    elif info.digest_ok:
        out = ["The digest matches and the signature value verifies with the trusted certificate."]
    else:
        out = ["The signature value verifies with the trusted certificate."]
    if problem and (info.digest_ok is not False):
        out.append(f"The SP refuses it: {problem}.")
    if keyinfo is not None and info.cert_matches is False:
        out.append(f"KeyInfo carries a different certificate, {keyinfo.label()}, which the SP ignores.")
    return out
