"""What an encrypted SAML element may be, checked before any key touches it (no key needed).

The allow-list of `samlkit.xmlenc`: one EncryptedData of an element, AES-128/256 in CBC or GCM
mode, one EncryptedKey (inline, or beside it and named by a local RetrievalMethod) wrapped with
RSA-OAEP or RSA 1.5, CipherValues only (no CipherReference), nothing nested, bounded sizes. What
passes is rebuilt into bare EncryptedKey/EncryptedData elements, the only input libxmlsec1 gets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lxml import etree

from samlkit import codec, ns

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
TYPE_ELEMENT = XENC + "Element"

# Data encryption, by short name.
AES128_CBC = "aes128-cbc"
AES256_CBC = "aes256-cbc"
AES128_GCM = "aes128-gcm"
AES256_GCM = "aes256-gcm"
DATA_ALGS = {
    AES128_CBC: XENC + "aes128-cbc",
    AES256_CBC: XENC + "aes256-cbc",
    AES128_GCM: XENC11 + "aes128-gcm",
    AES256_GCM: XENC11 + "aes256-gcm",
}
# Key transport, by short name. RSA_OAEP_SHA256 is xmlenc11 rsa-oaep with SHA-256 digest and MGF1-SHA-256.
RSA_OAEP = "rsa-oaep-mgf1p"
RSA_OAEP_SHA256 = "rsa-oaep-sha256"
RSA_1_5 = "rsa-1_5"
KEY_ALGS = {
    RSA_OAEP: XENC + "rsa-oaep-mgf1p",
    RSA_OAEP_SHA256: XENC11 + "rsa-oaep",
    RSA_1_5: XENC + "rsa-1_5",
}
WEAK_KEY_ALGS = {RSA_1_5}  # Bleichenbacher: PKCS#1 v1.5 key transport leaks through error differences

SESSION_BYTES = {AES128_CBC: 16, AES256_CBC: 32, AES128_GCM: 16, AES256_GCM: 32}
_DATA_BY_URI = {v: k for k, v in DATA_ALGS.items()}
_KEY_BY_URI = {v: k for k, v in KEY_ALGS.items()}
_OAEP_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_MGFS = {XENC11 + f"mgf1{h}": h for h in ("sha1", "sha224", "sha256", "sha384", "sha512")}

# What an encrypted SAML element may decrypt to.
EXPECTED = {
    "EncryptedAssertion": ns.q(ns.SAML, "Assertion"),
    "EncryptedID": ns.q(ns.SAML, "NameID"),
    "EncryptedAttribute": ns.q(ns.SAML, "Attribute"),
}
MAX_CIPHER_BYTES = codec.MAX_MESSAGE_BYTES  # base64 characters of one EncryptedData's CipherValue
MAX_KEY_CIPHER_CHARS = 2048  # an RSA-8192 EncryptedKey is 1,368 base64 characters


class EncryptionProblem(Exception):
    """An encrypted element that is refused, with a stable reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


DECRYPTION_FAILED = "decryption-failed"
FAILED_MESSAGE = "the encrypted element cannot be decrypted with this key"


@dataclass(frozen=True)
class EncryptionInfo:
    """What an encrypted element says about itself (nothing of it is trusted)."""

    kind: str  # EncryptedAssertion, EncryptedID, EncryptedAttribute
    data_alg: str  # a short name, or the URI when it is not one we accept
    key_alg: str
    oaep_digest: str = ""  # for RSA-OAEP: sha1, sha256...
    oaep_mgf: str = ""
    recipient_cert_sha256: str | None = None  # the certificate named in the EncryptedKey's KeyInfo
    key_name: str = ""

    @property
    def weak(self) -> bool:
        return self.key_alg in WEAK_KEY_ALGS


@dataclass
class Parts:
    info: EncryptionInfo
    data: etree._Element  # EncryptedData rebuilt for libxmlsec1: EncryptionMethod + CipherData only
    key: etree._Element  # EncryptedKey rebuilt likewise


def xenc_tag(local: str, nsuri: str = XENC) -> str:
    return ns.q(nsuri, local)


def malformed(message: str) -> EncryptionProblem:
    return EncryptionProblem("encrypted-malformed", message)


def children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


_NOT_BASE64 = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n")


def _cipher_value(owner: etree._Element, limit: int, what: str) -> str:
    """The CipherValue text, within `limit` characters and made of base64 characters only.

    A large one is not decoded here (libxmlsec1 decodes it; 1.5 MB took 10 ms more in Python):
    a misplaced "=" then fails as `decryption-failed`, like any other undecryptable ciphertext.
    """
    datas = owner.findall(xenc_tag("CipherData"))
    if len(datas) != 1:
        raise malformed(f"the {what} has {len(datas)} CipherData elements; exactly one is needed")
    inner = children(datas[0])
    if len(inner) == 1 and inner[0].tag == xenc_tag("CipherReference"):
        raise malformed(f"the {what} points at external data (CipherReference), which is never fetched")
    if len(inner) != 1 or inner[0].tag != xenc_tag("CipherValue") or children(inner[0]):
        raise malformed(f"the {what}'s CipherData must hold exactly one CipherValue")
    text = inner[0].text or ""
    if len(text) > limit:
        raise malformed(f"the {what}'s CipherValue is {len(text)} characters, over the limit of {limit}")
    if text.translate(_NOT_BASE64) or (len(text) < 4096 and _not_strict_base64(text)):
        raise malformed(f"the {what}'s CipherValue is not base64")
    return text


def _not_strict_base64(text: str) -> bool:
    try:
        codec.b64decode_strict(text)
    except codec.DecodeError:
        return True
    return False


def _method(owner: etree._Element, what: str) -> etree._Element:
    methods = owner.findall(xenc_tag("EncryptionMethod"))
    if len(methods) != 1:
        raise malformed(f"the {what} has {len(methods)} EncryptionMethod elements; exactly one is needed")
    return methods[0]


def unsupported(message: str) -> EncryptionProblem:
    return EncryptionProblem("encryption-algorithm-unsupported", message)


def _key_method(method: etree._Element) -> tuple[str, str, str]:
    """(short name, OAEP digest, MGF) of an EncryptedKey's EncryptionMethod, allow-listed."""
    uri = method.get("Algorithm")
    name = _KEY_BY_URI.get(uri or "")
    if name is None:
        raise unsupported(f"the key transport {uri!r} is not accepted (RSA-OAEP or RSA 1.5 only)")
    digest = mgf = ""
    for child in children(method):
        if child.tag == ns.q(ns.DS, "DigestMethod") and name != RSA_1_5 and not digest:
            digest = _OAEP_DIGESTS.get(child.get("Algorithm") or "", "")
            if not digest or children(child):
                raise unsupported(f"the OAEP digest {child.get('Algorithm')!r} is not accepted")
        elif child.tag == xenc_tag("MGF", XENC11) and name == RSA_OAEP_SHA256 and not mgf:
            mgf = _MGFS.get(child.get("Algorithm") or "", "")
            if not mgf or children(child):
                raise unsupported(f"the OAEP mask generation {child.get('Algorithm')!r} is not accepted")
        else:
            raise unsupported(f"the key transport carries an unexpected {etree.QName(child).localname}")
    if name != RSA_1_5:
        digest = digest or "sha1"
        mgf = mgf or "sha1"
    return name, digest, mgf


def _keyinfo_of_key(enc_key: etree._Element) -> tuple[str | None, str]:
    """(SHA-256 of the X509Certificate, KeyName) named in an EncryptedKey's KeyInfo: display only."""
    ki = enc_key.findall(ns.q(ns.DS, "KeyInfo"))
    if len(ki) > 1:
        raise malformed("the EncryptedKey has more than one KeyInfo")
    if not ki:
        return None, ""
    cert_sha = None
    key_name = ""
    for child in children(ki[0]):
        if child.tag == ns.q(ns.DS, "X509Data"):
            cert = child.find(ns.q(ns.DS, "X509Certificate"))
            if cert is not None and cert_sha is None:
                try:
                    cert_sha = hashlib.sha256(codec.b64decode_strict("".join(cert.itertext()))).hexdigest()
                except codec.DecodeError:
                    cert_sha = None
        elif child.tag == ns.q(ns.DS, "KeyName"):
            key_name = "".join(child.itertext()).strip()[:200]
        elif child.tag in (ns.q(ns.DS, "KeyValue"), ns.q(ns.DS, "X509Data")):
            continue
        elif child.tag == ns.q(ns.DS, "RetrievalMethod"):
            raise malformed("the EncryptedKey's KeyInfo has a RetrievalMethod, which is never followed")
        elif child.tag in (xenc_tag("EncryptedKey"), xenc_tag("AgreementMethod"), xenc_tag("DerivedKey", XENC11)):
            raise unsupported(f"the EncryptedKey's key is itself wrapped ({etree.QName(child).localname})")
    return cert_sha, key_name


def _find_key(encrypted: etree._Element, data: etree._Element) -> etree._Element:
    """The one EncryptedKey: inside the EncryptedData's KeyInfo, or its sibling (named by a local RetrievalMethod)."""
    siblings = encrypted.findall(xenc_tag("EncryptedKey"))
    kis = data.findall(ns.q(ns.DS, "KeyInfo"))
    if len(kis) > 1:
        raise malformed("the EncryptedData has more than one KeyInfo")
    inline: list[etree._Element] = []
    retrieval: list[etree._Element] = []
    for child in children(kis[0]) if kis else []:
        if child.tag == xenc_tag("EncryptedKey"):
            inline.append(child)
        elif child.tag == ns.q(ns.DS, "RetrievalMethod"):
            retrieval.append(child)
        elif child.tag in (ns.q(ns.DS, "KeyName"), ns.q(ns.DS, "X509Data")):
            continue
        else:
            raise unsupported(
                f"the EncryptedData's key is given as {etree.QName(child).localname}, not an EncryptedKey"
            )
    for rm in retrieval:
        uri = rm.get("URI") or ""
        ids = {k.get("Id") for k in siblings}
        if not uri.startswith("#") or uri[1:] not in ids or children(rm):
            raise malformed(f"the RetrievalMethod points at {uri[:80]!r}, not at an EncryptedKey beside the data")
    found = inline + siblings
    if len(found) != 1:
        raise malformed(f"{len(found)} EncryptedKey elements were found; exactly one is accepted")
    return found[0]


def _rebuild(method_uri: str, method_children: list[etree._Element], cipher: str, tag: str) -> etree._Element:
    """A clean EncryptedData/EncryptedKey holding only what libxmlsec1 needs (and nothing else)."""
    el = etree.Element(xenc_tag(tag), nsmap={"xenc": XENC})
    method = etree.SubElement(el, xenc_tag("EncryptionMethod"), Algorithm=method_uri)
    for child in method_children:
        method.append(etree.Element(child.tag, Algorithm=child.get("Algorithm")))
    etree.SubElement(etree.SubElement(el, xenc_tag("CipherData")), xenc_tag("CipherValue")).text = cipher
    return el


def parts_of(encrypted: etree._Element, *, allow_rsa15: bool) -> Parts:
    kind = etree.QName(encrypted).localname
    if encrypted.tag != ns.q(ns.SAML, kind) or kind not in EXPECTED:
        raise malformed(f"{kind} is not an encrypted SAML element")
    others = [c for c in children(encrypted) if c.tag not in (xenc_tag("EncryptedData"), xenc_tag("EncryptedKey"))]
    datas = encrypted.findall(xenc_tag("EncryptedData"))
    if others or len(datas) != 1:
        raise malformed(f"the {kind} must hold exactly one EncryptedData (and its EncryptedKey), nothing else")
    data = datas[0]
    if data.get("Type") not in (None, TYPE_ELEMENT):
        raise malformed(f"the EncryptedData's Type is {data.get('Type')!r}, not an element")
    for nested in (data, *encrypted.findall(xenc_tag("EncryptedKey"))):
        if any(True for _ in nested.iterdescendants(xenc_tag("EncryptedData"))):
            raise malformed("the encrypted element nests another EncryptedData")
    data_method = _method(data, "EncryptedData")
    data_alg = _DATA_BY_URI.get(data_method.get("Algorithm") or "")
    if data_alg is None or children(data_method):
        raise unsupported(
            f"the data encryption {data_method.get('Algorithm')!r} is not accepted (AES-128/256 in CBC or GCM mode)"
        )
    enc_key = _find_key(encrypted, data)
    if any(True for _ in enc_key.iterdescendants(xenc_tag("EncryptedKey"))):
        raise malformed("the EncryptedKey nests another EncryptedKey")
    key_method = _method(enc_key, "EncryptedKey")
    key_alg, digest, mgf = _key_method(key_method)
    cert_sha, key_name = _keyinfo_of_key(enc_key)
    info = EncryptionInfo(kind, data_alg, key_alg, digest, mgf, cert_sha, key_name)
    if key_alg in WEAK_KEY_ALGS and not allow_rsa15:
        raise EncryptionProblem(
            "encryption-weak-algorithm", "the session key is wrapped with RSA 1.5 (PKCS#1 v1.5), which is refused"
        )
    key_cipher = _cipher_value(enc_key, MAX_KEY_CIPHER_CHARS, "EncryptedKey")
    data_cipher = _cipher_value(data, MAX_CIPHER_BYTES, "EncryptedData")
    return Parts(
        info=info,
        data=_rebuild(DATA_ALGS[data_alg], [], data_cipher, "EncryptedData"),
        key=_rebuild(key_method.get("Algorithm"), children(key_method), key_cipher, "EncryptedKey"),
    )


def describe(encrypted: etree._Element) -> EncryptionInfo:
    """What the encrypted element claims (algorithms, recipient certificate); raises EncryptionProblem
    when it would be refused for its structure or an unknown algorithm (RSA 1.5 is described, not refused)."""
    return parts_of(encrypted, allow_rsa15=True).info
