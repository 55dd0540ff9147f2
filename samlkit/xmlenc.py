"""XML Encryption of SAML elements (EncryptedAssertion, EncryptedID, EncryptedAttribute), in-process.

Encrypting: the element is encrypted with a fresh AES session key (CBC or GCM), the session key
with the recipient's RSA certificate (OAEP or PKCS#1 v1.5), and the EncryptedKey sits in the
EncryptedData's KeyInfo with the recipient's certificate in its own KeyInfo, as Shibboleth, ADFS
and Entra ID send it.

Decrypting is defensive: the structure and every algorithm are checked against an allow-list
first, then libxmlsec1 sees only a rebuilt EncryptedKey and EncryptedData holding nothing but
the allowed EncryptionMethod and the CipherValue (no KeyInfo to resolve, no RetrievalMethod,
no CipherReference, no nested encryption). After that every failure (wrong key, bad RSA padding,
a session key of the wrong size, a bad AES padding or GCM tag, plaintext that is not the
expected element) raises the same `decryption-failed`, and an RSA failure goes on with a random
session key as TLS does, so that the refusal is no padding oracle.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import xmlsec
from lxml import etree

from samlkit import codec, ns
from samlkit.metadata_xml import cert_b64
from samlkit.safexml import UnsafeXML, parse
from samlkit.xmldsig import _load_key

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

_SESSION_BYTES = {AES128_CBC: 16, AES256_CBC: 32, AES128_GCM: 16, AES256_GCM: 32}
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
_EXPECTED = {
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
_FAILED_MESSAGE = "the encrypted element cannot be decrypted with this key"


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
class _Parts:
    info: EncryptionInfo
    data: etree._Element  # EncryptedData rebuilt for libxmlsec1: EncryptionMethod + CipherData only
    key: etree._Element  # EncryptedKey rebuilt likewise


def _x(local: str, nsuri: str = XENC) -> str:
    return ns.q(nsuri, local)


# -- encrypting -----------------------------------------------------------------------------

_managers: dict[bytes, xmlsec.KeysManager] = {}
_managers_lock = threading.Lock()


def _recipient(cert_pem: bytes) -> xmlsec.KeysManager:
    with _managers_lock:
        mgr = _managers.get(cert_pem)
        if mgr is None:
            mgr = xmlsec.KeysManager()
            mgr.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM))
            if len(_managers) > 64:
                _managers.clear()
            _managers[cert_pem] = mgr
        return mgr


def _encrypt(element: etree._Element, wrapper: str, cert_pem: bytes, data_alg: str, key_alg: str) -> etree._Element:
    if data_alg not in DATA_ALGS:
        raise ValueError(f"unknown data encryption {data_alg!r}; one of {', '.join(DATA_ALGS)}")
    if key_alg not in KEY_ALGS:
        raise ValueError(f"unknown key transport {key_alg!r}; one of {', '.join(KEY_ALGS)}")
    try:
        mgr = _recipient(cert_pem)
    except xmlsec.Error as err:
        raise ValueError("the recipient's certificate cannot be loaded (a PEM certificate is needed)") from err
    # lxml serialises a sub-element with the namespace declarations it inherits: the plaintext stands alone.
    plaintext = etree.tostring(element)
    outer = etree.Element(ns.q(ns.SAML, wrapper), nsmap={"saml": ns.SAML})
    # The template is built with lxml, not xmlsec.template: lxml's find() misses nodes that
    # libxmlsec1 creates (their names are not in the document's dictionary).
    data = etree.SubElement(outer, _x("EncryptedData"), Type=TYPE_ELEMENT, nsmap={"xenc": XENC})
    etree.SubElement(data, _x("EncryptionMethod"), Algorithm=DATA_ALGS[data_alg])
    key_info = etree.SubElement(data, ns.q(ns.DS, "KeyInfo"), nsmap={"ds": ns.DS})
    enc_key = etree.SubElement(key_info, _x("EncryptedKey"))
    method = etree.SubElement(enc_key, _x("EncryptionMethod"), Algorithm=KEY_ALGS[key_alg])
    if key_alg == RSA_OAEP_SHA256:
        etree.SubElement(method, ns.q(ns.DS, "DigestMethod"), Algorithm=ns.DIGEST_ALGS["sha256"])
        etree.SubElement(method, _x("MGF", XENC11), Algorithm=XENC11 + "mgf1sha256", nsmap={"xenc11": XENC11})
    elif key_alg == RSA_OAEP:
        etree.SubElement(method, ns.q(ns.DS, "DigestMethod"), Algorithm=ns.DIGEST_ALGS["sha1"])
    etree.SubElement(etree.SubElement(enc_key, _x("CipherData")), _x("CipherValue"))
    etree.SubElement(etree.SubElement(data, _x("CipherData")), _x("CipherValue"))
    ctx = xmlsec.EncryptionContext(mgr)
    ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, _SESSION_BYTES[data_alg] * 8, xmlsec.KeyDataType.SESSION)
    ctx.encrypt_binary(data, plaintext)
    # The recipient's certificate, so that the SP (or a reader) knows which key decrypts it.
    ki = etree.Element(ns.q(ns.DS, "KeyInfo"))
    x509 = etree.SubElement(ki, ns.q(ns.DS, "X509Data"))
    etree.SubElement(x509, ns.q(ns.DS, "X509Certificate")).text = cert_b64(cert_pem)
    method.addnext(ki)
    parent = element.getparent()
    if parent is not None:
        parent.replace(element, outer)
    return outer


def encrypt_assertion(
    assertion: etree._Element, cert_pem: bytes, data_alg: str = AES256_GCM, key_alg: str = RSA_OAEP
) -> etree._Element:
    """The saml:EncryptedAssertion for `assertion`, encrypted to `cert_pem`'s RSA key.

    When the Assertion sits in a tree (a Response) it is replaced there by the EncryptedAssertion.
    Sign the Assertion first: its signature travels inside the ciphertext. Raises ValueError for
    an unknown algorithm name or a certificate that cannot be loaded.
    """
    return _encrypt(assertion, "EncryptedAssertion", cert_pem, data_alg, key_alg)


def encrypt_name_id(
    name_id: etree._Element, cert_pem: bytes, data_alg: str = AES256_GCM, key_alg: str = RSA_OAEP
) -> etree._Element:
    """saml:EncryptedID for a NameID (replaced in place when it has a parent)."""
    return _encrypt(name_id, "EncryptedID", cert_pem, data_alg, key_alg)


def encrypt_attribute(
    attribute: etree._Element, cert_pem: bytes, data_alg: str = AES256_GCM, key_alg: str = RSA_OAEP
) -> etree._Element:
    """saml:EncryptedAttribute for an Attribute (replaced in place when it has a parent)."""
    return _encrypt(attribute, "EncryptedAttribute", cert_pem, data_alg, key_alg)


# -- reading (no key needed) -----------------------------------------------------------------


def _malformed(message: str) -> EncryptionProblem:
    return EncryptionProblem("encrypted-malformed", message)


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _cipher_value(owner: etree._Element, limit: int, what: str) -> str:
    """The CipherValue text (whitespace dropped), checked as strict base64 within `limit` characters."""
    datas = owner.findall(_x("CipherData"))
    if len(datas) != 1:
        raise _malformed(f"the {what} has {len(datas)} CipherData elements; exactly one is needed")
    inner = _children(datas[0])
    if len(inner) == 1 and inner[0].tag == _x("CipherReference"):
        raise _malformed(f"the {what} points at external data (CipherReference), which is never fetched")
    if len(inner) != 1 or inner[0].tag != _x("CipherValue") or _children(inner[0]):
        raise _malformed(f"the {what}'s CipherData must hold exactly one CipherValue")
    text = "".join((inner[0].text or "").split())
    if len(text) > limit:
        raise _malformed(f"the {what}'s CipherValue is {len(text)} characters, over the limit of {limit}")
    try:
        codec.b64decode_strict(text)
    except codec.DecodeError as err:
        raise _malformed(f"the {what}'s CipherValue is not base64") from err
    return text


def _method(owner: etree._Element, what: str) -> etree._Element:
    methods = owner.findall(_x("EncryptionMethod"))
    if len(methods) != 1:
        raise _malformed(f"the {what} has {len(methods)} EncryptionMethod elements; exactly one is needed")
    return methods[0]


def _unsupported(message: str) -> EncryptionProblem:
    return EncryptionProblem("encryption-algorithm-unsupported", message)


def _key_method(method: etree._Element) -> tuple[str, str, str]:
    """(short name, OAEP digest, MGF) of an EncryptedKey's EncryptionMethod, allow-listed."""
    uri = method.get("Algorithm")
    name = _KEY_BY_URI.get(uri or "")
    if name is None:
        raise _unsupported(f"the key transport {uri!r} is not accepted (RSA-OAEP or RSA 1.5 only)")
    digest = mgf = ""
    for child in _children(method):
        if child.tag == ns.q(ns.DS, "DigestMethod") and name != RSA_1_5 and not digest:
            digest = _OAEP_DIGESTS.get(child.get("Algorithm") or "", "")
            if not digest or _children(child):
                raise _unsupported(f"the OAEP digest {child.get('Algorithm')!r} is not accepted")
        elif child.tag == _x("MGF", XENC11) and name == RSA_OAEP_SHA256 and not mgf:
            mgf = _MGFS.get(child.get("Algorithm") or "", "")
            if not mgf or _children(child):
                raise _unsupported(f"the OAEP mask generation {child.get('Algorithm')!r} is not accepted")
        else:
            raise _unsupported(f"the key transport carries an unexpected {etree.QName(child).localname}")
    if name != RSA_1_5:
        digest = digest or "sha1"
        mgf = mgf or "sha1"
    return name, digest, mgf


def _keyinfo_of_key(enc_key: etree._Element) -> tuple[str | None, str]:
    """(SHA-256 of the X509Certificate, KeyName) named in an EncryptedKey's KeyInfo: display only."""
    ki = enc_key.findall(ns.q(ns.DS, "KeyInfo"))
    if len(ki) > 1:
        raise _malformed("the EncryptedKey has more than one KeyInfo")
    if not ki:
        return None, ""
    cert_sha = None
    key_name = ""
    for child in _children(ki[0]):
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
            raise _malformed("the EncryptedKey's KeyInfo has a RetrievalMethod, which is never followed")
        elif child.tag in (_x("EncryptedKey"), _x("AgreementMethod"), _x("DerivedKey", XENC11)):
            raise _unsupported(f"the EncryptedKey's key is itself wrapped ({etree.QName(child).localname})")
    return cert_sha, key_name


def _find_key(encrypted: etree._Element, data: etree._Element) -> etree._Element:
    """The one EncryptedKey: inside the EncryptedData's KeyInfo, or its sibling (named by a local RetrievalMethod)."""
    siblings = encrypted.findall(_x("EncryptedKey"))
    kis = data.findall(ns.q(ns.DS, "KeyInfo"))
    if len(kis) > 1:
        raise _malformed("the EncryptedData has more than one KeyInfo")
    inline: list[etree._Element] = []
    retrieval: list[etree._Element] = []
    for child in _children(kis[0]) if kis else []:
        if child.tag == _x("EncryptedKey"):
            inline.append(child)
        elif child.tag == ns.q(ns.DS, "RetrievalMethod"):
            retrieval.append(child)
        elif child.tag in (ns.q(ns.DS, "KeyName"), ns.q(ns.DS, "X509Data")):
            continue
        else:
            raise _unsupported(
                f"the EncryptedData's key is given as {etree.QName(child).localname}, not an EncryptedKey"
            )
    for rm in retrieval:
        uri = rm.get("URI") or ""
        ids = {k.get("Id") for k in siblings}
        if not uri.startswith("#") or uri[1:] not in ids or _children(rm):
            raise _malformed(f"the RetrievalMethod points at {uri[:80]!r}, not at an EncryptedKey beside the data")
    found = inline + siblings
    if len(found) != 1:
        raise _malformed(f"{len(found)} EncryptedKey elements were found; exactly one is accepted")
    return found[0]


def _rebuild(method_uri: str, method_children: list[etree._Element], cipher: str, tag: str) -> etree._Element:
    """A clean EncryptedData/EncryptedKey holding only what libxmlsec1 needs (and nothing else)."""
    el = etree.Element(_x(tag), nsmap={"xenc": XENC})
    method = etree.SubElement(el, _x("EncryptionMethod"), Algorithm=method_uri)
    for child in method_children:
        method.append(etree.Element(child.tag, Algorithm=child.get("Algorithm")))
    etree.SubElement(etree.SubElement(el, _x("CipherData")), _x("CipherValue")).text = cipher
    return el


def _parts(encrypted: etree._Element, *, allow_rsa15: bool) -> _Parts:
    kind = etree.QName(encrypted).localname
    if encrypted.tag != ns.q(ns.SAML, kind) or kind not in _EXPECTED:
        raise _malformed(f"{kind} is not an encrypted SAML element")
    others = [c for c in _children(encrypted) if c.tag not in (_x("EncryptedData"), _x("EncryptedKey"))]
    datas = encrypted.findall(_x("EncryptedData"))
    if others or len(datas) != 1:
        raise _malformed(f"the {kind} must hold exactly one EncryptedData (and its EncryptedKey), nothing else")
    data = datas[0]
    if data.get("Type") not in (None, TYPE_ELEMENT):
        raise _malformed(f"the EncryptedData's Type is {data.get('Type')!r}, not an element")
    for nested in (data, *encrypted.findall(_x("EncryptedKey"))):
        if any(True for _ in nested.iterdescendants(_x("EncryptedData"))):
            raise _malformed("the encrypted element nests another EncryptedData")
    data_method = _method(data, "EncryptedData")
    data_alg = _DATA_BY_URI.get(data_method.get("Algorithm") or "")
    if data_alg is None or _children(data_method):
        raise _unsupported(
            f"the data encryption {data_method.get('Algorithm')!r} is not accepted (AES-128/256 in CBC or GCM mode)"
        )
    enc_key = _find_key(encrypted, data)
    if any(True for _ in enc_key.iterdescendants(_x("EncryptedKey"))):
        raise _malformed("the EncryptedKey nests another EncryptedKey")
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
    return _Parts(
        info=info,
        data=_rebuild(DATA_ALGS[data_alg], [], data_cipher, "EncryptedData"),
        key=_rebuild(key_method.get("Algorithm"), _children(key_method), key_cipher, "EncryptedKey"),
    )


def describe(encrypted: etree._Element) -> EncryptionInfo:
    """What the encrypted element claims (algorithms, recipient certificate); raises EncryptionProblem
    when it would be refused for its structure or an unknown algorithm (RSA 1.5 is described, not refused)."""
    return _parts(encrypted, allow_rsa15=True).info


# -- decrypting ------------------------------------------------------------------------------


def _session_key(parts: _Parts, key: xmlsec.Key) -> bytes:
    """The AES key, or a random one of the right size when RSA fails: the caller cannot tell."""
    size = _SESSION_BYTES[parts.info.data_alg]
    fallback = os.urandom(size)
    ctx = xmlsec.EncryptionContext()
    ctx.key = key
    try:
        session = ctx.decrypt(copy.deepcopy(parts.key))
    except xmlsec.Error:
        return fallback
    if not isinstance(session, bytes) or len(session) != size:
        return fallback
    return session


def _plaintext_element(plaintext: bytes, encrypted: etree._Element, expected: str) -> etree._Element:
    """Parse the plaintext (safely) in the namespaces in scope where the encrypted element sits."""
    if plaintext.startswith(b"<?xml"):
        end = plaintext.find(b"?>")
        plaintext = plaintext[end + 2 :] if end > 0 else plaintext
    decls = "".join(
        f" xmlns={quoteattr(uri)}" if prefix is None else f" xmlns:{prefix}={quoteattr(uri)}"
        for prefix, uri in encrypted.nsmap.items()
    )
    wrapper = parse(f"<w{decls}>".encode() + plaintext + b"</w>", MAX_CIPHER_BYTES)
    children = _children(wrapper)
    if len(children) != 1 or (wrapper.text or "").strip() or (children[0].tail or "").strip():
        raise ValueError("the plaintext is not one element")
    element = children[0]
    if element.tag != expected:
        raise ValueError("the plaintext is not the expected element")
    return copy.deepcopy(element)


def decrypt_described(
    encrypted: etree._Element, key_pem: bytes, *, allow_rsa15: bool = False
) -> tuple[etree._Element, EncryptionInfo]:
    """`decrypt`, also returning what the encrypted element declared (algorithms, recipient)."""
    parts = _parts(encrypted, allow_rsa15=allow_rsa15)
    try:
        key = _load_key(key_pem, private=True)
    except xmlsec.Error as err:
        raise ValueError("the decryption key cannot be loaded (a PEM private key is needed)") from err
    session = _session_key(parts, key)
    ctx = xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.AES, session)
    try:
        plaintext = ctx.decrypt(parts.data)
        if not isinstance(plaintext, bytes):
            raise ValueError("no plaintext")
        element = _plaintext_element(plaintext, encrypted, _EXPECTED[parts.info.kind])
    except (xmlsec.Error, ValueError, UnsafeXML) as err:
        raise EncryptionProblem(DECRYPTION_FAILED, _FAILED_MESSAGE) from err
    parent = encrypted.getparent()
    if parent is not None:
        parent.replace(encrypted, element)
    return element, parts.info


def decrypt(encrypted: etree._Element, key_pem: bytes, *, allow_rsa15: bool = False) -> etree._Element:
    """The element inside an EncryptedAssertion/EncryptedID/EncryptedAttribute, decrypted with `key_pem`.

    Replaces `encrypted` with it when `encrypted` has a parent. Raises EncryptionProblem:
    `encrypted-malformed`, `encryption-algorithm-unsupported` or `encryption-weak-algorithm` before
    any decryption runs, and `decryption-failed` (one message for every cause) after. A key that
    is not a PEM private key raises ValueError: that is the caller's configuration, not the message.
    """
    return decrypt_described(encrypted, key_pem, allow_rsa15=allow_rsa15)[0]


def decrypt_assertion(encrypted: etree._Element, key_pem: bytes, allow_rsa15: bool = False) -> etree._Element:
    """The saml:Assertion inside a saml:EncryptedAssertion (see `decrypt`)."""
    if encrypted.tag != ns.q(ns.SAML, "EncryptedAssertion"):
        raise _malformed(f"{etree.QName(encrypted).localname} is not an EncryptedAssertion")
    return decrypt(encrypted, key_pem, allow_rsa15=allow_rsa15)
