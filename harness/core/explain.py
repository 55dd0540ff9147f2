"""Explain each XML signature in a message: what it covers, whether it holds, and why not.

The digest is recomputed here, independently of xmlsec, so a tester sees "stated" against
"computed"; the signature value is checked by the SP's own strict `samlkit.xmldsig.verify`
against the trusted certificate only. The verdict is written for a tester, not a cryptographer.
Nothing here raises on hostile input: a signature that cannot be examined gets a verdict that
says so.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from harness.core import dsig_recompute
from harness.core.certs import colon_fp
from harness.core.dsig_recompute import C14N_10, C14N_10_COMMENTS, C14N_11, C14N_11_COMMENTS
from harness.core.trace import SignatureInfo
from samlkit import codec, ns, xmldsig
from samlkit.safexml import ids_of

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
_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

REDIRECT_REFERENCE = "(HTTP-Redirect query string)"


def short_name(uri: str | None, names: dict[str, str]) -> str:
    if not uri:
        return ""
    return names.get(uri, uri)


def fingerprint_display(sha256_hex: str | None) -> str:
    """'3B:1F:22:0A:…' from a lowercase hex fingerprint."""
    return colon_fp(sha256_hex, 4) if sha256_hex else "?"


@dataclass
class _Cert:
    cert: x509.Certificate | None
    sha256: str
    subject: str | None
    pem_text: bool = False  # KeyInfo held base64 of the PEM text, not of the DER

    @property
    def pem(self) -> bytes | None:
        return self.cert.public_bytes(serialization.Encoding.PEM) if self.cert is not None else None

    def label(self) -> str:
        return f"{self.subject or 'an unreadable certificate'} (SHA-256 {fingerprint_display(self.sha256)})"


def _cert_from_der(der: bytes) -> _Cert:
    sha = hashlib.sha256(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string() or "(empty subject)"
    except Exception:  # cryptography raises ValueError and friends on junk
        return _Cert(None, sha, None)
    return _Cert(cert, sha, subject)


def load_certificate(data: bytes | str | None) -> _Cert | None:
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
        return _cert_from_der(cert.public_bytes(serialization.Encoding.DER))
    try:
        der = codec.b64decode_strict(data)
    except codec.DecodeError:
        return None
    found = _cert_from_der(der)
    return found if found.cert is not None else None


def _local(el: etree._Element | None) -> str:
    if el is None or not isinstance(el.tag, str):
        return "document"
    return etree.QName(el).localname


def _id_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return el.get("ID") or el.get("Id") or el.get("AssertionID") or ""


# -- XML signatures ----------------------------------------------------------------------------


# Each examined Signature copies and canonicalises the element it references (and, with a trusted
# certificate, runs xmldsig.verify): thousands of small Signatures all pointing at a 1 MB Response
# cost minutes of CPU. The trace recorder does this in the servers' request threads for anything
# posted to the ACS, so an unsigned forgery could stall them; a real message has one or two.
MAX_SIGNATURES = 16


def explain_signatures(root: etree._Element, trusted_cert_pem: bytes | None = None) -> list[SignatureInfo]:
    """One SignatureInfo per ds:Signature anywhere in `root`, in document order.

    At most MAX_SIGNATURES are examined; any beyond are summed up in one last SignatureInfo.
    """
    trusted = load_certificate(trusted_cert_pem)
    trusted_unreadable = trusted_cert_pem is not None and trusted is None
    try:
        ids = ids_of(root)
        sigs = list(root.iter(ns.q(ns.DS, "Signature")))
    except Exception as err:
        return [SignatureInfo(element=_local(root), verdict=f"The signatures could not be examined ({err}).")]
    out = []
    if len(sigs) > MAX_SIGNATURES:
        extra = len(sigs) - MAX_SIGNATURES
        sigs = sigs[:MAX_SIGNATURES]
    else:
        extra = 0
    for sig in sigs:
        try:
            out.append(_explain_one(sig, ids, trusted, trusted_unreadable))
        except Exception as err:  # a hostile message must give a verdict, never a traceback
            parent = sig.getparent()
            out.append(
                SignatureInfo(
                    element=_local(parent),
                    element_id=_id_of(parent),
                    verdict=f"The Signature on the {_local(parent)} could not be examined ({err}).",
                )
            )
    if extra:
        out.append(
            SignatureInfo(
                element=_local(root),
                element_id=_id_of(root),
                verdict=f"{extra} more Signature(s) were not examined: the message carries "
                f"{MAX_SIGNATURES + extra}, and only the first {MAX_SIGNATURES} are (the SP accepts one or two).",
            )
        )
    return out


def _explain_one(
    sig: etree._Element, ids: dict[str, list[etree._Element]], trusted: _Cert | None, trusted_unreadable: bool
) -> SignatureInfo:
    parent = sig.getparent()
    el = _local(parent)
    info = SignatureInfo(element=el, element_id=_id_of(parent))
    keyinfo = _keyinfo_cert(sig)
    if keyinfo is not None:
        info.keyinfo_cert_sha256 = keyinfo.sha256
        info.keyinfo_subject = keyinfo.subject
    if trusted is not None:
        info.trusted_cert_sha256 = trusted.sha256
        info.trusted_subject = trusted.subject
        if keyinfo is not None:
            info.cert_matches = keyinfo.sha256 == trusted.sha256

    signed_info = sig.find(ns.q(ns.DS, "SignedInfo"))
    if signed_info is None:
        info.verdict = f"The Signature on the {el} has no SignedInfo, so there is nothing to check."
        if trusted is not None:
            info.value_ok = False
        return info
    c14n = signed_info.find(ns.q(ns.DS, "CanonicalizationMethod"))
    info.c14n = short_name(c14n.get("Algorithm") if c14n is not None else None, TRANSFORM_NAMES)
    method = signed_info.find(ns.q(ns.DS, "SignatureMethod"))
    sig_uri = method.get("Algorithm") if method is not None else None
    info.sig_alg = short_name(sig_uri, SIG_NAMES)
    refs = signed_info.findall(ns.q(ns.DS, "Reference"))
    notes: list[str] = []
    target = None
    digest_reason = ""
    digest_uri = None
    if refs:
        ref = refs[0]
        info.reference_uri = ref.get("URI") or ""
        transforms = _transforms(ref)
        info.transforms = [short_name(uri, TRANSFORM_NAMES) for uri, _ in transforms]
        dm = ref.find(ns.q(ns.DS, "DigestMethod"))
        digest_uri = dm.get("Algorithm") if dm is not None else None
        info.digest_alg = short_name(digest_uri, DIGEST_NAMES)
        info.digest_stated = "".join(_text(ref.find(ns.q(ns.DS, "DigestValue"))).split())
        target, computed, digest_reason = _compute_digest(sig, ref, ids, transforms, digest_uri)
        if computed is not None:
            info.digest_computed = base64.b64encode(computed).decode("ascii")
            info.digest_ok = _b64_or_none(info.digest_stated) == computed
        if len(refs) > 1:
            notes.append(f"It has {len(refs)} References; the SP accepts exactly one.")
        notes.extend(_coverage_notes(ref, parent, el, info.element_id))
    else:
        notes.append(f"The Signature on the {el} has no Reference, so it protects nothing.")
    if keyinfo is not None and keyinfo.pem_text:
        notes.append(
            "KeyInfo carries the certificate as base64 of its PEM text instead of base64 of its DER, "
            f"which XML signature software does not read; decoded, it is {keyinfo.label()}."
        )

    problem = value_reason = ""
    if trusted is not None and trusted.cert is not None:
        info.value_ok, value_reason = dsig_recompute.verify_value(sig, trusted.cert)
        sp_ok, problem = _verify(parent, trusted.pem)  # the SP's own strict check, for its words
        if sp_ok:
            problem = ""
    signed_by_keyinfo = None
    if info.value_ok is False and keyinfo is not None and keyinfo.cert is not None and info.cert_matches is False:
        signed_by_keyinfo, _ = dsig_recompute.verify_value(sig, keyinfo.cert)

    info.verdict = _verdict(
        info,
        el=el,
        target_name=_local(target) if target is not None else el,
        digest_reason=digest_reason,
        notes=notes,
        problem=problem,
        value_reason=value_reason,
        keyinfo=keyinfo,
        trusted=trusted,
        trusted_unreadable=trusted_unreadable,
        signed_by_keyinfo=signed_by_keyinfo,
        weak=sig_uri in ns.WEAK_ALGS or digest_uri in ns.WEAK_ALGS,
    )
    return info


def _coverage_notes(ref: etree._Element, parent: etree._Element | None, el: str, element_id: str) -> list[str]:
    """What the Reference covers, when it is not the element the Signature sits in (by its ID)."""
    uri = ref.get("URI")
    if parent is None or uri == "#" + element_id:
        return []
    if uri is not None and uri == "":
        whole = "which is this " + el if parent.getparent() is None else f"the {el} included"
        return [
            f"Its Reference URI is empty: it covers the whole document, {whole}. The SP accepts only a "
            f"Reference to the signed element's own ID (#{element_id or 'ID'}), so it refuses this form."
        ]
    return [
        f"It sits in the {el} but covers {uri or 'nothing named'!r}, "
        f"so it does not protect the {el} it is in (a signature-wrapping sign; the SP refuses this)."
    ]


def _text(el: etree._Element | None) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _b64_or_none(text: str) -> bytes | None:
    try:
        return codec.b64decode_strict(text)
    except codec.DecodeError:
        return None


def _transforms(ref: etree._Element) -> list[tuple[str, etree._Element]]:
    holder = ref.find(ns.q(ns.DS, "Transforms"))
    if holder is None:
        return []
    return [(t.get("Algorithm") or "", t) for t in holder if t.tag == ns.q(ns.DS, "Transform")]


def _compute_digest(
    sig: etree._Element,
    ref: etree._Element,
    ids: dict[str, list[etree._Element]],
    transforms: list[tuple[str, etree._Element]],
    digest_uri: str | None,
) -> tuple[etree._Element | None, bytes | None, str]:
    """(referenced element, digest, why not computed)."""
    uri = ref.get("URI")
    if uri is None:
        return None, None, "the Reference has no URI, so what it covers is up to the application"
    if uri == "":
        target = sig.getroottree().getroot()
    elif not uri.startswith("#") or uri.startswith("#xpointer("):
        return None, None, f"the Reference URI {uri!r} is not a reference to an element ID"
    else:
        ident = uri[1:]
        found = ids.get(ident, [])
        if not found:
            return None, None, f"no element in the message has the ID {ident!r}"
        if len(found) > 1:
            return (
                None,
                None,
                f"the ID {ident!r} occurs {len(found)} times, so it is ambiguous which element is signed "
                "(a signature-wrapping sign)",
            )
        target = found[0]
    hash_name = dsig_recompute.DIGESTS.get(digest_uri or "")
    if hash_name is None:
        return target, None, f"the digest algorithm {digest_uri!r} is not one the harness knows"
    octets, why = dsig_recompute.referenced_octets(sig, None if uri == "" else target, transforms)
    if octets is None:
        return target, None, why
    return target, dsig_recompute.digest(hash_name, octets), ""


def _keyinfo_cert(sig: etree._Element) -> _Cert | None:
    der = xmldsig.keyinfo_cert_der(sig)
    if der is None:
        return None
    if der.lstrip().startswith(b"-----BEGIN"):  # base64 of a PEM (some ADFS set-ups): say what it is
        found = load_certificate(der)
        if found is not None:
            found.pem_text = True
            return found
    return _cert_from_der(der)


def _verify(element: etree._Element | None, cert_pem: bytes | None) -> tuple[bool, str]:
    if element is None or not isinstance(element.tag, str) or cert_pem is None:
        return False, "the signature is not inside an element"
    try:
        xmldsig.verify(element, cert_pem, allow_sha1=True)
    except xmldsig.SignatureProblem as err:
        return False, err.message
    except Exception as err:  # xmlsec on hostile input: report, never raise
        return False, f"the signature could not be checked ({err})"
    return True, ""


def _verdict(
    info: SignatureInfo,
    *,
    el: str,
    target_name: str,
    digest_reason: str,
    notes: list[str],
    problem: str,
    value_reason: str,
    keyinfo: _Cert | None,
    trusted: _Cert | None,
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


def _value_holds(info: SignatureInfo, notes: list[str], problem: str, keyinfo: _Cert | None) -> list[str]:
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


# -- the HTTP-Redirect query-string signature --------------------------------------------------


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
    raw = _b64_or_none("".join(signature.replace(" ", "+").split()))
    if hash_name not in _HASHES or key_type not in ("rsa", "ecdsa"):
        info.value_ok = False
        info.verdict = f"The query string is signed with {sig_alg!r}, an algorithm the SP does not accept."
        return info
    ok = raw is not None and dsig_recompute.verify_raw(trusted.cert, key_type, _HASHES[hash_name](), raw, signed_query)
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
