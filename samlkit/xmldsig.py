"""Enveloped XML signatures, signed and checked in-process.

The common form (exclusive c14n without a PrefixList, the enveloped transform) is checked by
`samlkit.dsig_value`, over the octets libxml2's own c14n gives for the signed nodes; every other
form goes to libxmlsec1 through the `xmlsec` bindings. Tests hold both to the same verdict on hostile variants
(tests/unit/samlkit/test_samlkit_xmldsig_engines.py).

Verification is strict on purpose: a signature counts only if it is the one direct child
Signature of the element, has exactly one Reference whose URI is that element's own (unique)
ID, uses only the enveloped and exclusive-c14n transforms, and verifies with the *trusted*
key (KeyInfo is never used to find a key). The caller then reads data from that same element
object, which is what defeats signature wrapping.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import threading
from dataclasses import dataclass, field

import xmlsec
from cryptography import x509
from lxml import etree

from samlkit import codec, dsig_layout, dsig_value, ns, raw_sign
from samlkit.metadata_xml import cert_b64
from samlkit.safexml import id_values

_ALLOWED_TRANSFORMS = {ns.TRANSFORM_ENVELOPED, ns.C14N_EXC, ns.C14N_EXC_COMMENTS}
_ALLOWED_C14N = {ns.C14N_EXC, ns.C14N_EXC_COMMENTS}
_INCLUSIVE_NAMESPACES = ns.q(ns.C14N_EXC, "InclusiveNamespaces")
# A real PrefixList names a handful of prefixes (xs, xsi, saml...). libxmlsec1 matches every
# namespace of every element against the whole list, so its length multiplies the c14n work.
MAX_INCLUSIVE_PREFIXES = 32
_SIGNATURE = ns.q(ns.DS, "Signature")
_SIGNED_INFO = ns.q(ns.DS, "SignedInfo")
_C14N_METHOD = ns.q(ns.DS, "CanonicalizationMethod")
_SIGNATURE_METHOD = ns.q(ns.DS, "SignatureMethod")
_REFERENCE = ns.q(ns.DS, "Reference")
_TRANSFORMS = ns.q(ns.DS, "Transforms")
_TRANSFORM = ns.q(ns.DS, "Transform")
_DIGEST_METHOD = ns.q(ns.DS, "DigestMethod")
_SIG_BY_URI = {v: k for k, v in ns.SIG_ALGS.items()}
_DIGEST_BY_URI = {v: k for k, v in ns.DIGEST_ALGS.items()}

# Every code a SignatureProblem may carry: the SP relays them as its own reason codes.
CODES = frozenset(
    {
        "signature-missing",
        "signature-invalid",
        "signature-wrong-reference",
        "duplicate-id",
        "algorithm-unsupported",
        "weak-algorithm",
        "transform-forbidden",
        "trust-misconfigured",
    }
)


class SignatureProblem(Exception):
    """A signature that does not count, with a stable reason code (one of CODES)."""

    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise ValueError(f"undeclared signature problem code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Verified:
    """What a successful verification established."""

    element_id: str
    sig_alg: str
    digest_alg: str
    notes: list[str] = field(default_factory=list)
    signature: etree._Element | None = field(default=None, repr=False, compare=False)

    @property
    def keyinfo_cert_sha256(self) -> str | None:
        """SHA-256 of the certificate KeyInfo carries, for display only: read when asked for (a
        login never shows it, and decoding the certificate per signature cost ~25 us)."""
        return keyinfo_cert_sha256(self.signature) if self.signature is not None else None


_key_cache: dict[tuple[bytes, bool], xmlsec.Key] = {}
_key_lock = threading.Lock()


def _load_key(pem: bytes, *, private: bool, cert_pem: bytes | None = None) -> xmlsec.Key:
    cache_key = (pem + (cert_pem or b""), private)
    with _key_lock:
        key = _key_cache.get(cache_key)
        if key is None:
            if private:
                key = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.PEM)
                if cert_pem:
                    key.load_cert_from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
            else:
                key = _public_key(pem)
            if len(_key_cache) > 64:
                _key_cache.clear()
            _key_cache[cache_key] = key
        return key


def _public_key(cert_pem: bytes) -> xmlsec.Key:
    """The certificate's bare public key, to verify with.

    libxmlsec1 loads the certificate first (a certificate it cannot read raises as before); the
    key it then verifies with is the same public key without the certificate attached, because
    a SignatureContext copies its key, and copying the X.509 data costs ~40 us per verification.
    """
    with_cert = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        spki = (
            x509.load_pem_x509_certificate(cert_pem)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return xmlsec.Key.from_memory(spki, xmlsec.KeyFormat.PEM)
    except (ValueError, TypeError, xmlsec.Error):
        return with_cert  # a certificate only libxmlsec1 reads: verify with it as it is


@functools.lru_cache(maxsize=64)
def key_algorithm(key_pem: bytes) -> str:
    """'rsa' or 'ecdsa', from a private key or certificate PEM (cached)."""
    text = key_pem.decode("ascii", "replace")
    if "EC PRIVATE KEY" in text:
        return "ecdsa"
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pub: object
    if "CERTIFICATE" in text:
        pub = x509.load_pem_x509_certificate(key_pem).public_key()
    else:
        # Only the key's type is read here (libxmlsec1 loads the key to sign), so skip the RSA
        # consistency check that cryptography runs on load: it costs ~80 ms per RSA-2048 key.
        pub = load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True).public_key()
    return "ecdsa" if isinstance(pub, ec.EllipticCurvePublicKey) else "rsa"


def sign(
    element: etree._Element,
    key_pem: bytes,
    cert_pem: bytes | None,
    *,
    hash_name: str = "sha256",
    digest: str | None = None,
    after: etree._Element | None = None,
) -> etree._Element:
    """Insert and compute an enveloped signature over `element` (which needs an ID).

    The digest is taken over lxml's exclusive c14n of `element` before the Signature is put in
    it, which is exactly what the enveloped transform leaves; libxmlsec1's own node-set c14n
    gives the same octets ~10x slower (0.2 ms on a 7 kB Response, 8 ms on a 1.1 MB one).
    Tests check signatures made here with libxmlsec1 itself (`check_with_libxmlsec1`).
    """
    key = raw_sign.private_key(key_pem)
    alg = f"{raw_sign.key_type(key)}-{hash_name}"
    digest = digest or hash_name
    octets = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    digest_value = base64.b64encode(hashlib.new(digest, octets).digest()).decode("ascii")
    sig = copy.deepcopy(_template(ns.SIG_ALGS[alg], ns.DIGEST_ALGS[digest], bool(cert_pem)))
    signed_info, signature_value = sig[0], sig[1]
    reference = signed_info[2]
    reference.set("URI", "#" + element.get("ID"))
    reference[2].text = digest_value
    if cert_pem:
        sig[2][0][0].text = cert_b64(cert_pem)
    if after is not None:
        after.addnext(sig)
    else:
        issuer = element.find(ns.q(ns.SAML, "Issuer"))
        if issuer is not None:
            issuer.addnext(sig)
        else:
            element.insert(0, sig)
    # The SignatureValue over the exclusive-c14n SignedInfo: the octets libxmlsec1 would sign.
    octets = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    signature_value.text = base64.b64encode(raw_sign.sign(octets, key, hash_name)).decode("ascii")
    return sig


@functools.lru_cache(maxsize=64)  # one per (signature, digest) algorithm pair, with or without KeyInfo
def _template(sig_uri: str, digest_uri: str, with_cert: bool) -> etree._Element:
    """The Signature markup libxmlsec1's templates write (xmlsec.template.create, add_reference,
    the enveloped and exclusive c14n transforms, add_x509_data), made once and copied per
    signature: ~9 us less per signature than building it through the template calls."""
    key_info = "\n<ds:KeyInfo>\n<ds:X509Data><ds:X509Certificate/></ds:X509Data>\n</ds:KeyInfo>" if with_cert else ""
    return etree.fromstring(
        f'<ds:Signature xmlns:ds="{ns.DS}">\n<ds:SignedInfo>\n'
        f'<ds:CanonicalizationMethod Algorithm="{ns.C14N_EXC}"/>\n<ds:SignatureMethod Algorithm="{sig_uri}"/>\n'
        f'<ds:Reference URI="">\n<ds:Transforms>\n<ds:Transform Algorithm="{ns.TRANSFORM_ENVELOPED}"/>\n'
        f'<ds:Transform Algorithm="{ns.C14N_EXC}"/>\n</ds:Transforms>\n<ds:DigestMethod Algorithm="{digest_uri}"/>\n'
        f"<ds:DigestValue/>\n</ds:Reference>\n</ds:SignedInfo>\n<ds:SignatureValue/>{key_info}\n</ds:Signature>"
    )


def fill(sig: etree._Element, element: etree._Element, key_pem: bytes, cert_pem: bytes | None) -> None:
    """Compute a signature template that is already in place (pysaml2 makes its own)."""
    ctx = xmlsec.SignatureContext()
    ctx.key = _load_key(key_pem, private=True, cert_pem=cert_pem)
    ctx.register_id(element, "ID")
    ctx.sign(sig)


def verify(element: etree._Element, cert_pem: bytes, *, allow_sha1: bool = False) -> Verified:
    """Check the one enveloped signature of `element` against `cert_pem` only."""
    sigs = element.findall(_SIGNATURE)
    if not sigs:
        raise SignatureProblem("signature-missing", f"the {etree.QName(element).localname} is not signed")
    if len(sigs) > 1:
        raise SignatureProblem("signature-invalid", "the element carries more than one Signature")
    sig = sigs[0]
    element_id = element.get("ID")
    if not element_id:
        raise SignatureProblem("signature-invalid", "the signed element has no ID attribute")
    root = element.getroottree().getroot()
    if id_values(root).count(element_id) != 1:
        raise SignatureProblem("duplicate-id", f"the ID {element_id!r} occurs more than once in the message")

    signed_info = sig.find(_SIGNED_INFO)
    if signed_info is None:
        raise SignatureProblem("signature-invalid", "the Signature has no SignedInfo")
    c14n = signed_info.find(_C14N_METHOD)
    if c14n is None or c14n.get("Algorithm") not in _ALLOWED_C14N:
        raise SignatureProblem("signature-invalid", "SignedInfo is not canonicalised with exclusive c14n")
    _check_c14n_parameters(c14n, "signature-invalid")
    method = signed_info.find(_SIGNATURE_METHOD)
    sig_uri = method.get("Algorithm") if method is not None else None
    if sig_uri not in _SIG_BY_URI:
        raise SignatureProblem("algorithm-unsupported", f"the signature algorithm {sig_uri!r} is not accepted")
    refs = signed_info.findall(_REFERENCE)
    if len(refs) != 1:
        raise SignatureProblem("signature-invalid", f"the Signature has {len(refs)} References; exactly one is allowed")
    ref = refs[0]
    if ref.get("URI") != "#" + element_id:
        raise SignatureProblem(
            "signature-wrong-reference",
            f"the signature covers {ref.get('URI')!r}, not the element it sits in (#{element_id})",
        )
    seen = _transforms(ref)
    if ns.TRANSFORM_ENVELOPED not in seen:
        raise SignatureProblem("signature-invalid", "the signature is not an enveloped signature")
    if seen[0] != ns.TRANSFORM_ENVELOPED or len(seen) > 2 or (len(seen) == 2 and seen[1] not in _ALLOWED_C14N):
        # libxmlsec1 runs every listed transform over the whole element before it checks the
        # SignatureValue: 1,000 repeated exclusive c14n transforms cost ~40 s of CPU, unsigned.
        raise SignatureProblem(
            "transform-forbidden",
            f"the transforms are {len(seen)} ({', '.join(seen)}); only the enveloped transform, "
            "then at most one exclusive c14n, are allowed",
        )
    dm = ref.find(_DIGEST_METHOD)
    digest_uri = dm.get("Algorithm") if dm is not None else None
    if digest_uri not in _DIGEST_BY_URI:
        raise SignatureProblem("algorithm-unsupported", f"the digest algorithm {digest_uri!r} is not accepted")
    if not allow_sha1 and (sig_uri in ns.WEAK_ALGS or digest_uri in ns.WEAK_ALGS):
        raise SignatureProblem("weak-algorithm", "the signature uses SHA-1, which is refused")

    _refuse_manifests(sig)
    for node in (sig, signed_info, ref):
        layout = dsig_layout.misordered(node)
        if layout:
            name = etree.QName(node).localname
            raise SignatureProblem("signature-invalid", f"the {name} does not hold exactly {layout}, in this order")

    cert = _trusted_cert(cert_pem)
    if cert is not None and dsig_value.takes(element_id, c14n, seen):
        wrong = dsig_value.check(element, sig, _SIG_BY_URI[sig_uri], _DIGEST_BY_URI[digest_uri], cert)
        if wrong:
            raise SignatureProblem("signature-invalid", wrong)
    else:
        check_with_libxmlsec1(element, sig, cert_pem)

    return Verified(
        element_id=element_id,
        sig_alg=_SIG_BY_URI[sig_uri],
        digest_alg=_DIGEST_BY_URI[digest_uri],
        signature=sig,
    )


@functools.lru_cache(maxsize=64)
def _trusted_cert(cert_pem: bytes) -> x509.Certificate | None:
    """The trusted certificate as `cryptography` reads it, or None (libxmlsec1 then checks).

    Only a certificate libxmlsec1 loads too: it refuses PEM that `cryptography` reads (lines
    indented with tabs), and the in-process check must not trust what libxmlsec1 would not.
    """
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        _load_key(cert_pem, private=False)
    except (ValueError, TypeError, xmlsec.Error):
        return None
    return cert


def check_with_libxmlsec1(element: etree._Element, sig: etree._Element, cert_pem: bytes) -> None:
    """libxmlsec1's whole verification of `sig` with the trusted key only (the reference
    implementation: every signature whose form `dsig_value` does not take)."""
    ctx = xmlsec.SignatureContext()
    try:
        ctx.key = _load_key(cert_pem, private=False)
    except xmlsec.Error as err:
        raise SignatureProblem("trust-misconfigured", "the trusted certificate cannot be loaded") from err
    ctx.register_id(element, "ID")
    try:
        ctx.verify(sig)
    except xmlsec.Error as err:
        raise SignatureProblem(
            "signature-invalid", "the signature does not verify with the trusted certificate"
        ) from err


def _refuse_manifests(sig: etree._Element) -> None:
    """A ds:Manifest anywhere in the Signature is refused before libxmlsec1 sees it.

    libxmlsec1 dereferences every Reference of a ds:Object/ds:Manifest whatever its URI, and does
    so even when the SignatureValue is not the trusted key's: an unsigned forgery whose Manifest
    names file:///dev/zero hung the SP's request thread forever reading it, and any local path
    (file:///etc/...) was opened on an attacker's say. SAML never uses Manifests (SAML core §5.4.1:
    exactly one Reference, to the enclosing element), and the one SignedInfo Reference is checked
    above, so nothing a Manifest could point at is needed.
    """
    for _manifest in sig.iter(ns.q(ns.DS, "Manifest")):  # the filter runs in C
        raise SignatureProblem(
            "signature-invalid", "the Signature carries a ds:Manifest, whose References would be fetched unverified"
        )


def _transforms(ref: etree._Element) -> list[str]:
    """The Algorithm URIs of the Reference's transforms, each one checked as allowed."""
    lists = ref.findall(_TRANSFORMS)
    if len(lists) > 1:
        raise SignatureProblem("transform-forbidden", "the Reference has more than one Transforms element")
    seen: list[str] = []
    for t in lists[0] if lists else ():
        if not isinstance(t.tag, str):
            continue
        uri = t.get("Algorithm")
        if t.tag != _TRANSFORM or uri not in _ALLOWED_TRANSFORMS:
            raise SignatureProblem("transform-forbidden", f"the transform {uri!r} is not allowed")
        _check_c14n_parameters(t, "transform-forbidden")
        seen.append(uri)
    return seen


def _check_c14n_parameters(method: etree._Element, code: str) -> None:
    """A transform or CanonicalizationMethod may carry one short InclusiveNamespaces, nothing else.

    libxmlsec1 reads the PrefixList before the SignatureValue is checked and compares it with
    every namespace of every canonicalised element: 100,000 prefixes over 10,000 elements took
    a minute of CPU for an unsigned forgery.
    """
    if len(method) == 0:  # no child nodes at all: the usual case, no parameters
        return
    params = [c for c in method if isinstance(c.tag, str)]
    if not params:
        return
    if len(params) > 1 or params[0].tag != _INCLUSIVE_NAMESPACES:
        raise SignatureProblem(code, f"the {etree.QName(method).localname} carries unexpected parameters")
    prefixes = (params[0].get("PrefixList") or "").split()
    if len(prefixes) > MAX_INCLUSIVE_PREFIXES:
        raise SignatureProblem(
            code,
            f"the InclusiveNamespaces PrefixList names {len(prefixes)} prefixes "
            f"(at most {MAX_INCLUSIVE_PREFIXES} are accepted)",
        )


def keyinfo_cert_der(sig: etree._Element) -> bytes | None:
    """The DER of the certificate in KeyInfo (its whole text, strict base64), or None: never used to verify."""
    node = sig.find(f"{ns.q(ns.DS, 'KeyInfo')}/{ns.q(ns.DS, 'X509Data')}/{ns.q(ns.DS, 'X509Certificate')}")
    if node is None:
        return None
    text = "".join(node.itertext())
    if not text.strip():
        return None
    try:
        return codec.b64decode_strict(text)
    except codec.DecodeError:
        return None


def keyinfo_cert_sha256(sig: etree._Element) -> str | None:
    """SHA-256 of the certificate in KeyInfo, for display only: never used to verify."""
    der = keyinfo_cert_der(sig)
    return hashlib.sha256(der).hexdigest() if der is not None else None
