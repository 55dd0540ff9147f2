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
import os
import secrets
import threading
from xml.sax.saxutils import quoteattr

import xmlsec
from lxml import etree

from samlkit import ns
from samlkit.metadata_xml import cert_b64
from samlkit.safexml import UnsafeXML, parse
from samlkit.xmldsig import _load_key
from samlkit.xmlenc_check import (  # noqa: F401 - the algorithm names are this module's API too
    AES128_CBC,
    AES128_GCM,
    AES256_CBC,
    AES256_GCM,
    DATA_ALGS,
    DECRYPTION_FAILED,
    EXPECTED,
    FAILED_MESSAGE,
    KEY_ALGS,
    MAX_CIPHER_BYTES,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_SHA256,
    SESSION_BYTES,
    TYPE_ELEMENT,
    WEAK_KEY_ALGS,
    XENC,
    XENC11,
    EncryptionInfo,
    EncryptionProblem,
    Parts,
    children,
    describe,
    malformed,
    parts_of,
    xenc_tag,
)

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
    data = etree.SubElement(outer, xenc_tag("EncryptedData"), Type=TYPE_ELEMENT, nsmap={"xenc": XENC})
    etree.SubElement(data, xenc_tag("EncryptionMethod"), Algorithm=DATA_ALGS[data_alg])
    key_info = etree.SubElement(data, ns.q(ns.DS, "KeyInfo"), nsmap={"ds": ns.DS})
    enc_key = etree.SubElement(key_info, xenc_tag("EncryptedKey"))
    method = etree.SubElement(enc_key, xenc_tag("EncryptionMethod"), Algorithm=KEY_ALGS[key_alg])
    if key_alg == RSA_OAEP_SHA256:
        etree.SubElement(method, ns.q(ns.DS, "DigestMethod"), Algorithm=ns.DIGEST_ALGS["sha256"])
        etree.SubElement(method, xenc_tag("MGF", XENC11), Algorithm=XENC11 + "mgf1sha256", nsmap={"xenc11": XENC11})
    elif key_alg == RSA_OAEP:
        etree.SubElement(method, ns.q(ns.DS, "DigestMethod"), Algorithm=ns.DIGEST_ALGS["sha1"])
    etree.SubElement(etree.SubElement(enc_key, xenc_tag("CipherData")), xenc_tag("CipherValue"))
    etree.SubElement(etree.SubElement(data, xenc_tag("CipherData")), xenc_tag("CipherValue"))
    ctx = xmlsec.EncryptionContext(mgr)
    ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, SESSION_BYTES[data_alg] * 8, xmlsec.KeyDataType.SESSION)
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


# -- decrypting ------------------------------------------------------------------------------


def _session_key(parts: Parts, key: xmlsec.Key) -> bytes:
    """The AES key, or a random one of the right size when RSA fails: the caller cannot tell."""
    size = SESSION_BYTES[parts.info.data_alg]
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


def _strip_declaration(plaintext: bytes) -> bytes:
    plaintext = plaintext.removeprefix(b"\xef\xbb\xbf")
    if plaintext.startswith(b"<?xml"):
        end = plaintext.find(b"?>")
        plaintext = plaintext[end + 2 :] if end > 0 else plaintext
    return plaintext


def _plaintext_element(plaintext: bytes, encrypted: etree._Element, expected: str) -> etree._Element:
    """Parse the plaintext (safely) in the namespaces in scope where the encrypted element sits."""
    decls = "".join(
        f" xmlns={quoteattr(uri)}" if prefix is None else f" xmlns:{prefix}={quoteattr(uri)}"
        for prefix, uri in encrypted.nsmap.items()
    )
    wrapper = parse(f"<w{decls}>".encode() + plaintext + b"</w>", MAX_CIPHER_BYTES)
    found = children(wrapper)
    if len(found) != 1 or (wrapper.text or "").strip() or (found[0].tail or "").strip():
        raise ValueError("the plaintext is not one element")
    element = found[0]
    if element.tag != expected:
        raise ValueError("the plaintext is not the expected element")
    return copy.deepcopy(element)


def _plaintext(encrypted: etree._Element, key_pem: bytes, allow_rsa15: bool) -> tuple[bytes | None, EncryptionInfo]:
    """(the plaintext bytes, not yet parsed, or None when AES refused it; what the element declared)."""
    parts = parts_of(encrypted, allow_rsa15=allow_rsa15)
    try:
        key = _load_key(key_pem, private=True)
    except xmlsec.Error as err:
        raise ValueError("the decryption key cannot be loaded (a PEM private key is needed)") from err
    session = _session_key(parts, key)
    ctx = xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.AES, session)
    try:
        plaintext = ctx.decrypt(parts.data)
    except xmlsec.Error:
        return None, parts.info
    if not isinstance(plaintext, bytes):
        return None, parts.info
    return _strip_declaration(plaintext), parts.info


def _decoy(encrypted: etree._Element) -> bytes:
    """Text as long as the ciphertext, parsed when AES failed so that a bad padding or GCM tag costs
    about what a good one does (the parse of the plaintext): less of a timing oracle."""
    cipher = encrypted.find(f"{xenc_tag('EncryptedData')}/{xenc_tag('CipherData')}/{xenc_tag('CipherValue')}")
    n = len(cipher.text or "") * 3 // 4 if cipher is not None else 0
    return b"<decoy>" + b"x" * n + b"</decoy>"


def _open(encrypted: etree._Element, key_pem: bytes, allow_rsa15: bool) -> tuple[etree._Element, EncryptionInfo]:
    """The decrypted element, checked to be one element of the expected kind, standalone."""
    plaintext, info = _plaintext(encrypted, key_pem, allow_rsa15)
    try:
        element = _plaintext_element(plaintext or _decoy(encrypted), encrypted, EXPECTED[info.kind])
        if plaintext is None:
            raise ValueError("AES refused the ciphertext")
        return element, info
    except (ValueError, UnsafeXML) as err:
        raise EncryptionProblem(DECRYPTION_FAILED, FAILED_MESSAGE) from err


def decrypt(encrypted: etree._Element, key_pem: bytes, *, allow_rsa15: bool = False) -> etree._Element:
    """The element inside an EncryptedAssertion/EncryptedID/EncryptedAttribute, decrypted with `key_pem`,
    as a standalone element (its own document); `encrypted` is left as it is.

    Raises EncryptionProblem: `encrypted-malformed`, `encryption-algorithm-unsupported` or
    `encryption-weak-algorithm` before any decryption runs, and `decryption-failed` (one message for
    every cause) after. A key that is not a PEM private key raises ValueError: that is the caller's
    configuration, not the message.
    """
    return _open(encrypted, key_pem, allow_rsa15)[0]


def decrypt_assertion(encrypted: etree._Element, key_pem: bytes, allow_rsa15: bool = False) -> etree._Element:
    """The saml:Assertion inside a saml:EncryptedAssertion, standalone (see `decrypt`, `decrypt_into`)."""
    if encrypted.tag != ns.q(ns.SAML, "EncryptedAssertion"):
        raise malformed(f"{etree.QName(encrypted).localname} is not an EncryptedAssertion")
    return decrypt(encrypted, key_pem, allow_rsa15=allow_rsa15)


def _index_path(element: etree._Element) -> list[int]:
    path = []
    while (parent := element.getparent()) is not None:
        path.append(parent.index(element))
        element = parent
    return path[::-1]


def _surroundings(el: etree._Element) -> tuple:
    """What sits around `el` in its parent: the count of nodes, the text before it, its tail."""
    parent = el.getparent()
    prev = el.getprevious()
    return len(parent), parent.index(el), (prev.tail if prev is not None else parent.text) or "", el.tail or ""


def decrypt_into(
    encrypted: etree._Element, key_pem: bytes, *, allow_rsa15: bool = False, max_bytes: int = MAX_CIPHER_BYTES
) -> tuple[etree._Element, etree._Element, EncryptionInfo]:
    """(a copy of the whole document with `encrypted` replaced by its plaintext, the decrypted element
    in that copy, what the encrypted element declared); the original document is left as it is.

    The plaintext goes in as the IdP wrote it and the document is parsed again: moving a parsed
    element into a tree would let lxml rename its prefixes to ones the ancestors declare for the
    same namespace (it drops "redundant" declarations by URI), and exclusive c14n, so the
    Assertion's signature, depends on those prefixes. After the splice the plaintext must be one
    element of the expected kind: the parent keeps its node count and the text around it, so the
    plaintext cannot add siblings (a second Assertion) or change the document's structure.
    """
    plaintext, info = _plaintext(encrypted, key_pem, allow_rsa15)  # None: AES refused it; the decoy goes in
    path = _index_path(encrypted)
    if not path:
        raise malformed("the encrypted element is the whole document")
    work = copy.deepcopy(encrypted.getroottree().getroot())
    target = work
    for i in path:
        target = target[i]
    parent = target.getparent()
    token = "decrypted-" + secrets.token_hex(16)
    placeholder = etree.Element(token)
    placeholder.tail = target.tail
    parent.replace(target, placeholder)
    before = _surroundings(placeholder)
    serialized = etree.tostring(work)
    marker = f"<{token}/>".encode()
    try:
        if serialized.count(marker) != 1:
            raise ValueError("the placeholder is not unique")
        root = parse(serialized.replace(marker, plaintext or _decoy(encrypted)), max_bytes)
        if plaintext is None:
            raise ValueError("AES refused the ciphertext")
        element = root
        for i in path:
            element = element[i]
        # The plaintext must have been exactly one element of the expected kind: nothing beside it.
        if element.tag != EXPECTED[info.kind] or _surroundings(element) != before:
            raise ValueError("the plaintext is not one element of the expected kind")
    except (ValueError, IndexError, UnsafeXML) as err:
        raise EncryptionProblem(DECRYPTION_FAILED, FAILED_MESSAGE) from err
    return root, element, info
