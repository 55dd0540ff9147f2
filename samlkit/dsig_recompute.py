"""An XML signature recomputed independently of libxmlsec1, in the message's own context.

Two separate facts, as libxmlsec1 establishes them: does the Reference's digest match the
referenced content (after its transforms), and does the SignatureValue verify over the canonical
SignedInfo with a given certificate (samlkit.dsig_value checks the SP's common form of signature
with these same functions). Each is answered exactly, so a tester is never
told "the value does not verify" when only the content changed, or the reverse.

Canonicalisation works on a standalone copy that carries what the original inherits: inclusive
c14n (1.0, 1.1) takes every namespace and xml:* attribute in scope from the ancestors, and an
element copied under a new parent, or canonicalised through lxml's subtree c14n, loses them or
gains `xmlns=""` (see `standalone`), so a valid signature would read as changed.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from samlkit import codec, ns

C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_10_COMMENTS = C14N_10 + "#WithComments"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
C14N_11_COMMENTS = C14N_11 + "#WithComments"
EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
XML_NS = "http://www.w3.org/XML/1998/namespace"
DIGESTS = {uri: name for name, uri in ns.DIGEST_ALGS.items()} | {
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_SIGNATURES = {uri: name.split("-", 1) for name, uri in ns.SIG_ALGS.items()}  # uri -> [rsa|ecdsa, sha*]


class C14n:
    """One canonicalisation algorithm: exclusive or inclusive, comments, PrefixList."""

    def __init__(self, uri: str, node: etree._Element | None = None):
        self.uri = uri
        self.exclusive = uri in (ns.C14N_EXC, ns.C14N_EXC_COMMENTS)
        self.comments = uri in (ns.C14N_EXC_COMMENTS, C14N_10_COMMENTS, C14N_11_COMMENTS)
        self.v11 = uri in (C14N_11, C14N_11_COMMENTS)
        self.prefixes: list[str] | None = None
        if self.exclusive and node is not None:
            inclusive = node.find(ns.q(EXC_C14N_NS, "InclusiveNamespaces"))
            self.prefixes = (inclusive.get("PrefixList") or "").split() if inclusive is not None else None

    @staticmethod
    def known(uri: str) -> bool:
        return uri in (ns.C14N_EXC, ns.C14N_EXC_COMMENTS, C14N_10, C14N_10_COMMENTS, C14N_11, C14N_11_COMMENTS)

    def apply(self, element: etree._Element, *, comments: bool | None = None) -> bytes:
        """`element` is a standalone copy made by `standalone` (its xml:* attributes may be added)."""
        return etree.tostring(
            element,
            method="c14n",
            exclusive=self.exclusive,
            with_comments=self.comments if comments is None else comments,
            inclusive_ns_prefixes=self.prefixes,
        )


# Reads back our own serialisation of an already safely parsed element: nothing to resolve.
_COPY_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=True)


def standalone(
    element: etree._Element, *, inclusive: bool, v11: bool = False, prefixes: list[str] | None = None
) -> etree._Element:
    """A copy of `element` as the root of its own document, declaring every namespace in scope
    (and, for inclusive c14n, carrying the xml:* attributes it inherits).

    lxml canonicalises a subtree through a fake root that shares the original children, and
    libxml2 then walks their real ancestors: a default namespace declared above the subtree comes
    out as `xmlns=""` on descendants (seen on real IdP Responses). A true copy has no such ancestors.
    """
    if not inclusive and not prefixes:
        # A deep copy declares every namespace its nodes use, which is all that exclusive c14n
        # without a PrefixList renders (and costs a third of a reparse).
        return copy.deepcopy(element)
    # lxml serialises a subtree with every namespace in scope declared on it and each prefix as
    # written. Moving the children under a new root instead lets lxml re-pick a prefix by URI:
    # ADFS's <KeyInfo xmlns="...xmldsig#"> under a ds: declaration came out as <ds:KeyInfo>.
    root = etree.fromstring(etree.tostring(element, with_tail=False), _COPY_PARSER)
    if inclusive:
        _inherit_xml_attributes(element, root, v11=v11)
    return root


def _inherit_xml_attributes(original: etree._Element, apex: etree._Element, *, v11: bool) -> None:
    """Inclusive c14n of a subtree writes the xml:* attributes it inherits on its apex, nearest
    ancestor first (1.1: only xml:lang and xml:space; xml:base is fixed up, xml:id not inherited)."""
    names = ("lang", "space") if v11 else None
    for node in original.iterancestors():
        for key, value in node.attrib.items():
            if key.startswith("{" + XML_NS + "}") and key not in apex.attrib:
                if names is None or key.split("}", 1)[1] in names:
                    apex.set(key, value)


def _path_below(ancestor: etree._Element, node: etree._Element) -> list[int] | None:
    """Child indexes from `ancestor` down to `node`, or None when `node` is not below it."""
    path = []
    while node is not ancestor:
        parent = node.getparent()
        if parent is None:
            return None
        path.append(parent.index(node))
        node = parent
    return path[::-1]


def referenced_octets(
    sig: etree._Element,
    target: etree._Element | None,
    transforms: list[tuple[str, etree._Element]],
) -> tuple[bytes | None, str]:
    """The octets the Reference digests: `target` (None: the whole document, URI="") after the
    transforms, canonicalised from a copy; or None and why not."""
    c14n = C14n(C14N_10)  # XMLDSig's default when no c14n transform is listed
    enveloped = False
    for algorithm, node in transforms:
        if algorithm == ns.TRANSFORM_ENVELOPED:
            enveloped = True
        elif C14n.known(algorithm):
            c14n = C14n(algorithm, node)
        else:
            return None, f"it uses the transform {algorithm or '(none named)'}, which the harness does not recompute"
    if target is None:  # URI="": the whole document without comments
        doc = copy.deepcopy(sig.getroottree())
        if enveloped:
            _remove_keep_tail(_follow(doc.getroot(), _path_below(sig.getroottree().getroot(), sig) or []))
        return etree.tostring(doc, method="c14n", exclusive=c14n.exclusive, with_comments=False,
                              inclusive_ns_prefixes=c14n.prefixes), ""  # fmt: skip
    if c14n.v11 and any(a.get("{" + XML_NS + "}base") is not None for a in target.iterancestors()):
        return None, "C14N 1.1's xml:base fix-up is not recomputed"
    apex = standalone(target, inclusive=not c14n.exclusive, v11=c14n.v11, prefixes=c14n.prefixes)
    path = _path_below(target, sig) if enveloped else None
    if path:
        _remove_keep_tail(_follow(apex, path))
    # A bare-name reference ("#id") drops comments, whatever the c14n variant says.
    return c14n.apply(apex, comments=False), ""


def _follow(root: etree._Element, path: list[int]) -> etree._Element:
    for i in path:
        root = root[i]
    return root


def digest(hash_name: str, octets: bytes) -> bytes:
    return hashlib.new(hash_name, octets).digest()


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


def verify_value(sig: etree._Element, cert: x509.Certificate) -> tuple[bool | None, str]:
    """Does the SignatureValue verify over the canonical SignedInfo with `cert`'s key? None (and
    why) when the algorithm is not one the harness checks; the digest plays no part here."""
    signed_info = sig.find(ns.q(ns.DS, "SignedInfo"))
    value = sig.find(ns.q(ns.DS, "SignatureValue"))
    if signed_info is None or value is None:
        return False, "the Signature lacks SignedInfo or SignatureValue"
    method = signed_info.find(ns.q(ns.DS, "SignatureMethod"))
    c14n_el = signed_info.find(ns.q(ns.DS, "CanonicalizationMethod"))
    sig_uri = method.get("Algorithm") if method is not None else None
    c14n_uri = c14n_el.get("Algorithm") if c14n_el is not None else None
    if sig_uri not in _SIGNATURES:
        return None, f"the signature algorithm {sig_uri!r} is not one the harness checks"
    if c14n_uri is None or not C14n.known(c14n_uri):
        return None, f"the SignedInfo canonicalisation {c14n_uri!r} is not one the harness checks"
    try:
        raw = codec.b64decode_strict("".join(value.itertext()))  # ASCII whitespace only, as libxmlsec1
    except codec.DecodeError:
        return False, "the SignatureValue is not base64"
    c14n = C14n(c14n_uri, c14n_el)
    octets = signed_info_octets(signed_info, c14n)
    key_type, hash_name = _SIGNATURES[sig_uri]
    return verify_raw(cert, key_type, _HASHES[hash_name](), raw, octets, strict=True), ""


def signed_info_octets(signed_info: etree._Element, c14n: C14n) -> bytes:
    """The octets the SignatureValue signs: SignedInfo canonicalised in its own namespace context."""
    return c14n.apply(standalone(signed_info, inclusive=not c14n.exclusive, v11=c14n.v11, prefixes=c14n.prefixes))


def verify_raw(
    cert: x509.Certificate,
    key_type: str,
    algorithm: hashes.HashAlgorithm,
    raw: bytes,
    data: bytes,
    *,
    strict: bool = False,
) -> bool:
    """Does `raw` sign `data` with `cert`'s key? An ECDSA value is r || s (XML-DSig, RFC 4050).

    `strict` reads it as libxmlsec1 does, for XML signatures: any even length split at its middle
    (Java signers drop a leading zero byte shared by r and s; some pad them), never the DER form
    the Redirect binding's signers sometimes send instead."""
    try:
        key = cert.public_key()
        if key_type == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), algorithm)
            return True
        if key_type == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if strict and len(raw) % 2:
                return False
            if strict or len(raw) == 2 * size:  # XML DSig style r||s
                half = len(raw) // 2
                raw = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            key.verify(raw, data, ec.ECDSA(algorithm))
            return True
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False
