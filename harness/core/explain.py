"""Explain each XML signature in a message: what it covers, whether it holds, and why not.

The digest is recomputed here, independently of xmlsec, so a tester sees "stated" against
"computed"; the signature value is checked by the SP's own strict `samlkit.xmldsig.verify`
against the trusted certificate only. The verdict is written for a tester, not a cryptographer.
Nothing here raises on hostile input: a signature that cannot be examined gets a verdict that
says so.
"""

from __future__ import annotations

import base64

from lxml import etree

from harness.core.explain_redirect import explain_redirect_signature
from harness.core.explain_terms import (
    DIGEST_NAMES,
    REDIRECT_REFERENCE,
    SIG_NAMES,
    TRANSFORM_NAMES,
    Cert,
    b64_or_none,
    cert_from_der,
    fingerprint_display,
    load_certificate,
    short_name,
)
from harness.core.explain_verdict import verdict
from harness.core.trace import SignatureInfo
from samlkit import dsig_recompute, ns, xmldsig
from samlkit.safexml import ids_of

__all__ = [
    "DIGEST_NAMES",
    "MAX_SIGNATURES",
    "REDIRECT_REFERENCE",
    "SIG_NAMES",
    "TRANSFORM_NAMES",
    "explain_redirect_signature",
    "explain_signatures",
    "fingerprint_display",
    "load_certificate",
    "short_name",
]


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
    sig: etree._Element, ids: dict[str, list[etree._Element]], trusted: Cert | None, trusted_unreadable: bool
) -> SignatureInfo:
    parent = sig.getparent()
    el = _local(parent)
    info = SignatureInfo(element=el, element_id=_id_of(parent))
    keyinfo = _keyinfo_cert(sig)
    _note_certificates(info, keyinfo, trusted)
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
    notes: list[str] = []
    target, digest_reason, digest_uri = _examine_reference(info, sig, signed_info, ids, notes)
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

    info.verdict = verdict(
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


def _note_certificates(info: SignatureInfo, keyinfo: Cert | None, trusted: Cert | None) -> None:
    """The KeyInfo's and the trusted certificate's identities, and whether they are the same."""
    if keyinfo is not None:
        info.keyinfo_cert_sha256 = keyinfo.sha256
        info.keyinfo_subject = keyinfo.subject
    if trusted is not None:
        info.trusted_cert_sha256 = trusted.sha256
        info.trusted_subject = trusted.subject
        if keyinfo is not None:
            info.cert_matches = keyinfo.sha256 == trusted.sha256


def _examine_reference(
    info: SignatureInfo,
    sig: etree._Element,
    signed_info: etree._Element,
    ids: dict[str, list[etree._Element]],
    notes: list[str],
) -> tuple[etree._Element | None, str, str | None]:
    """Fill the first Reference's digest into `info`, add what it covers to `notes`:
    (the referenced element, why the digest was not computed, the digest algorithm URI)."""
    parent = sig.getparent()
    el = info.element
    refs = signed_info.findall(ns.q(ns.DS, "Reference"))
    if not refs:
        notes.append(f"The Signature on the {el} has no Reference, so it protects nothing.")
        return None, "", None
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
        info.digest_ok = b64_or_none(info.digest_stated) == computed
    if len(refs) > 1:
        notes.append(f"It has {len(refs)} References; the SP accepts exactly one.")
    notes.extend(_coverage_notes(ref, parent, el, info.element_id))
    return target, digest_reason, digest_uri


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


def _keyinfo_cert(sig: etree._Element) -> Cert | None:
    der = xmldsig.keyinfo_cert_der(sig)
    if der is None:
        return None
    if der.lstrip().startswith(b"-----BEGIN"):  # base64 of a PEM (some ADFS set-ups): say what it is
        found = load_certificate(der)
        if found is not None:
            found.pem_text = True
            return found
    return cert_from_der(der)


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
