"""Explain each XML signature in a message: what it covers, whether it holds, and why not.

The digest is recomputed here, independently of xmlsec, so a tester sees "stated" against
"computed"; the signature value is checked by the SP's own strict `samlkit.xmldsig.verify`
against the trusted certificate only. The verdict is written for a tester, not a cryptographer.
Nothing here raises on hostile input: a signature that cannot be examined gets a verdict that
says so.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from harness.core.certs import colon_fp
from harness.core.trace import SignatureInfo
from samlkit import codec, ns, xmldsig
from samlkit.safexml import ids_of

C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_10_COMMENTS = C14N_10 + "#WithComments"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
C14N_11_COMMENTS = C14N_11 + "#WithComments"
EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"

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
        if parent is not None and info.reference_uri != "#" + info.element_id:
            notes.append(
                f"It sits in the {el} but covers {info.reference_uri or 'the whole document'!r}, "
                f"so it does not protect the {el} it is in (a signature-wrapping sign; the SP refuses this)."
            )
    else:
        notes.append(f"The Signature on the {el} has no Reference, so it protects nothing.")

    problem = ""
    if trusted is not None:
        info.value_ok, problem = _verify(parent, trusted.pem)
    signed_by_keyinfo = None
    if info.value_ok is False and keyinfo is not None and info.cert_matches is False:
        signed_by_keyinfo, _ = _verify(parent, keyinfo.pem)

    info.verdict = _verdict(
        info,
        el=el,
        target_name=_local(target) if target is not None else el,
        digest_reason=digest_reason,
        notes=notes,
        problem=problem,
        keyinfo=keyinfo,
        trusted=trusted,
        trusted_unreadable=trusted_unreadable,
        signed_by_keyinfo=signed_by_keyinfo,
        weak=sig_uri in ns.WEAK_ALGS or digest_uri in ns.WEAK_ALGS,
    )
    return info


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
    if not uri:
        return None, None, "the Reference covers the whole document, which the harness does not recompute"
    if not uri.startswith("#") or uri.startswith("#xpointer("):
        return None, None, f"the Reference URI {uri!r} is not a reference to an element ID"
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
    hash_name = DIGEST_NAMES.get(digest_uri or "")
    if hash_name is None:
        return target, None, f"the digest algorithm {digest_uri!r} is not one the harness knows"

    enveloped = False
    exclusive, prefixes = False, None  # XMLDSig's default: inclusive c14n 1.0
    for algorithm, transform in transforms:
        if algorithm == ns.TRANSFORM_ENVELOPED:
            enveloped = True
        elif algorithm in (ns.C14N_EXC, ns.C14N_EXC_COMMENTS):
            exclusive = True
            inclusive = transform.find(ns.q(EXC_C14N_NS, "InclusiveNamespaces"))
            prefixes = (inclusive.get("PrefixList") or "").split() if inclusive is not None else None
        elif algorithm in (C14N_10, C14N_10_COMMENTS):
            exclusive, prefixes = False, None
        else:
            name = short_name(algorithm, TRANSFORM_NAMES) or "(none named)"
            return target, None, f"it uses the transform {name}, which the harness does not recompute"

    # Copy with every namespace in scope declared above it, so InclusiveNamespaces still finds
    # prefixes declared on ancestors; the message itself is never touched.
    holder = etree.Element("holder", nsmap=dict(target.nsmap))
    clone = copy.deepcopy(target)
    holder.append(clone)
    if enveloped:
        path = _path_from(target, sig)
        if path is not None:
            node = clone
            for index in path:
                node = node[index]
            _remove_keep_tail(node)
    # A bare-name reference ("#id") drops comments, whatever the c14n variant says.
    octets = etree.tostring(
        clone, method="c14n", exclusive=exclusive, with_comments=False, inclusive_ns_prefixes=prefixes
    )
    return target, hashlib.new(hash_name, octets).digest(), ""


def _path_from(ancestor: etree._Element, node: etree._Element) -> list[int] | None:
    path = []
    while node is not ancestor:
        parent = node.getparent()
        if parent is None:
            return None  # the signature is outside the signed element: nothing to remove
        path.append(parent.index(node))
        node = parent
    return path[::-1] if path else None


def _remove_keep_tail(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _keyinfo_cert(sig: etree._Element) -> _Cert | None:
    der = xmldsig.keyinfo_cert_der(sig)
    return _cert_from_der(der) if der is not None else None


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
    keyinfo: _Cert | None,
    trusted: _Cert | None,
    trusted_unreadable: bool,
    signed_by_keyinfo: bool | None,
    weak: bool,
) -> str:
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
        if not notes:
            sentences = ["The signature verifies with the trusted certificate."]
        else:
            sentences.append("The signature value verifies with the trusted certificate.")
        if keyinfo is not None and info.cert_matches is False:
            sentences.append(f"KeyInfo carries a different certificate, {keyinfo.label()}, which the SP ignores.")
    elif keyinfo is not None and info.cert_matches is False and info.digest_ok is not False:
        verb = "is signed by" if signed_by_keyinfo else "names"
        sentences.append(
            f"The {el} {verb} {keyinfo.label()}, but this subscription trusts {trusted.label()}. "
            "Update the certificate in the questionnaire, or switch the IdP back to its old key."
        )
    elif info.digest_ok is False:
        if keyinfo is not None and info.cert_matches is False:
            sentences.append(f"It also names {keyinfo.label()}, while this subscription trusts {trusted.label()}.")
    elif info.digest_ok and problem == "the signature does not verify with the trusted certificate":
        why = (
            "the SignedInfo was altered after signing"
            if info.cert_matches
            else "the SignedInfo was altered, or the signature was made with a key other than the trusted one"
        )
        sentences.append(
            f"The digest matches, but the signature value does not verify with the trusted certificate: {why}."
        )
    elif problem:
        sentences.append(f"The signature does not count: {problem}.")
    else:
        sentences.append("The signature does not verify with the trusted certificate.")
    if weak:
        sentences.append("It uses SHA-1, which the SP refuses.")
    return " ".join(sentences)


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
    ok = raw is not None and _verify_raw(trusted.cert, key_type, _HASHES[hash_name](), raw, signed_query)
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


def _verify_raw(cert: x509.Certificate, key_type: str, algorithm, raw: bytes, data: bytes) -> bool:
    try:
        key = cert.public_key()
        if key_type == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), algorithm)
            return True
        if key_type == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(raw) == 2 * size:  # XML DSig style r||s
                raw = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
            key.verify(raw, data, ec.ECDSA(algorithm))
            return True
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False
