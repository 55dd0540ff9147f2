"""The digest and SignatureValue of the common form of signature, checked in-process.

samlkit.xmldsig runs its structural rules first, then hands a signature here when it has the
form every SAML signer writes (`takes`); every other form goes to libxmlsec1. libxmlsec1 selects
the signed nodes through an XPath node set and canonicalises them with a per-node visibility
callback (~0.15 ms per signature of a 7 kB Response); here the same octets come from libxml2's
own exclusive c14n of a copy of the element without its Signature (~0.09 ms). Tests hold both to
the same verdict on hostile variants (tests/unit/samlkit/test_samlkit_xmldsig_engines.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography import x509
from lxml import etree

from samlkit import codec, dsig_recompute, ns, raw_sign

_REFERENCE = ns.q(ns.DS, "Reference")
_TRANSFORM = ns.q(ns.DS, "Transform")
_TRANSFORMS_PATH = f"{_REFERENCE}/{ns.q(ns.DS, 'Transforms')}/{_TRANSFORM}"
_DIGEST_VALUE = f"{ns.q(ns.DS, 'SignedInfo')}/{_REFERENCE}/{ns.q(ns.DS, 'DigestValue')}"
_SIGNED_INFO = ns.q(ns.DS, "SignedInfo")
_SIGNATURE_VALUE = ns.q(ns.DS, "SignatureValue")

# The IDs taken here (every real IdP's: "_" and hex, "id-", "pfx", GUIDs). libxmlsec1 reads
# "#" + ID as XPointer: "xpointer(...)" selects other nodes, and whitespace or an apostrophe
# breaks its id('...') lookup, so every other ID stays libxmlsec1's to resolve as before.
_BARE_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def takes(element_id: str, c14n: etree._Element, transforms: list[str]) -> bool:
    """What SAML signers write (and the mock IdP signs with): an ID of plain name characters,
    exclusive c14n without comments or a PrefixList, both for SignedInfo and after the
    enveloped transform. `c14n` is SignedInfo's CanonicalizationMethod."""
    return (
        _BARE_NAME.fullmatch(element_id) is not None
        and c14n.get("Algorithm") == ns.C14N_EXC
        and len(c14n) == 0
        and transforms == [ns.TRANSFORM_ENVELOPED, ns.C14N_EXC]
        and not any(len(t) for t in c14n.getparent().iterfind(_TRANSFORMS_PATH))
    )


def check(element: etree._Element, sig: etree._Element, sig_alg: str, digest_alg: str, cert: x509.Certificate) -> str:
    """Why the enveloped signature `sig` of `element` does not hold with `cert` ('' when it does).
    `sig_alg` and `digest_alg` are short names (rsa-sha256, sha256) the caller has allowed."""
    signed_info = sig.find(_SIGNED_INFO)
    transforms = [(t.get("Algorithm"), t) for t in signed_info.iterfind(_TRANSFORMS_PATH)]
    octets, _ = dsig_recompute.referenced_octets(sig, element, transforms)
    stated = b64_value(sig.find(_DIGEST_VALUE))
    if octets is None or stated is None or not hmac.compare_digest(hashlib.new(digest_alg, octets).digest(), stated):
        return "the signature does not verify with the trusted certificate: the signed element changed after signing"
    value = b64_value(sig.find(_SIGNATURE_VALUE))
    key_type, hash_name = sig_alg.split("-", 1)
    data = dsig_recompute.signed_info_octets(signed_info, dsig_recompute.C14n(ns.C14N_EXC))
    algorithm = raw_sign.HASHES[hash_name]
    if value is None or not dsig_recompute.verify_raw(cert, key_type, algorithm, value, data, strict=True):
        return "the signature does not verify with the trusted certificate"
    return ""


def b64_value(node: etree._Element | None) -> bytes | None:
    """A DigestValue's or SignatureValue's octets (base64 with XML whitespace), or None.

    Only ASCII whitespace is skipped (b64decode_strict), as libxmlsec1 does: str.split() would also
    drop U+00A0, U+0085, U+2028, U+3000..., which libxmlsec1 refuses inside a value."""
    if node is None:
        return None
    try:
        return codec.b64decode_strict("".join(node.itertext()))
    except codec.DecodeError:
        return None
