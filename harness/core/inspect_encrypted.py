"""The inspector's view of encrypted content: what would decrypt it, and (given the key) what it hides.

Without a key the inspector says plainly that an Assertion (NameID, Attribute) is encrypted, with
which algorithms and to which certificate (its SHA-256 fingerprint, from the EncryptedKey's
KeyInfo). With the private key it decrypts with the same allow-list as the SP, so the summary
and the signatures inside can be read and checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from harness.core.certs import colon_fp
from samlkit import ns, xmlenc

# Each one costs an RSA decryption, and anyone can encrypt to an SP's public key: a hostile message
# with thousands of them must not hold the inspector (or the trace recorder) for seconds.
MAX_DESCRIBED = 32
MAX_DECRYPTED = 32
ENCRYPTED_TAGS = tuple(ns.q(ns.SAML, t) for t in ("EncryptedAssertion", "EncryptedID", "EncryptedAttribute"))
_NAMES = {
    xmlenc.AES128_CBC: "AES-128-CBC",
    xmlenc.AES256_CBC: "AES-256-CBC",
    xmlenc.AES128_GCM: "AES-128-GCM",
    xmlenc.AES256_GCM: "AES-256-GCM",
    xmlenc.RSA_OAEP: "RSA-OAEP (MGF1 SHA-1)",
    xmlenc.RSA_OAEP_SHA256: "RSA-OAEP (xmlenc11)",
    xmlenc.RSA_1_5: "RSA 1.5 (weak)",
}


@dataclass
class Opened:
    """The result of looking at a message's encrypted parts."""

    notes: list[str] = field(default_factory=list)  # one line per encrypted element, in plain words
    decrypted: etree._Element | None = None  # the document with its EncryptedAssertion decrypted


def describe_one(el: etree._Element) -> str:
    kind = etree.QName(el).localname
    try:
        info = xmlenc.describe(el)
    except xmlenc.EncryptionProblem as err:
        return f"{kind}: {err.message} ({err.code})"
    key_alg = _NAMES.get(info.key_alg, info.key_alg)
    if info.oaep_digest:
        key_alg += f", digest {info.oaep_digest}, MGF1 {info.oaep_mgf}"
    who = (
        f"the private key of the certificate SHA-256 {colon_fp(info.recipient_cert_sha256, 8)}"
        if info.recipient_cert_sha256
        else "a private key its KeyInfo does not name"
    )
    if info.key_name:
        who += f" (KeyName {info.key_name!r})"
    return f"{kind}: {_NAMES.get(info.data_alg, info.data_alg)}, key wrapped with {key_alg}; decrypts with {who}"


def open_encrypted(root: etree._Element, key_pem: bytes | None) -> Opened:
    """Describe every encrypted element; with `key_pem`, decrypt them into a copy of the document."""
    found = [el for el in root.iter(*ENCRYPTED_TAGS)]
    opened = Opened(notes=[describe_one(el) for el in found[:MAX_DESCRIBED]])
    if len(found) > MAX_DESCRIBED:
        opened.notes.append(f"… and {len(found) - MAX_DESCRIBED} more encrypted elements, not described.")
    if not found or not key_pem:
        return opened
    work = root
    assertions = [el for el in found if el.tag == ENCRYPTED_TAGS[0]]
    try:
        for el in assertions[:1]:
            work, _, _ = xmlenc.decrypt_into(el, key_pem, allow_rsa15=True)
        if len(assertions) > 1:
            opened.notes.append("Only the first EncryptedAssertion was decrypted (an SP accepts one).")
        opened.notes.append("Decrypted with the key given: what follows reads the plaintext.")
    except xmlenc.EncryptionProblem as err:
        opened.notes.append(f"Not decrypted: {err.message} ({err.code}).")
        return opened
    except ValueError as err:
        opened.notes.append(f"Not decrypted: {err}.")
        return opened
    opened.decrypted = work
    return opened


def open_inner(root: etree._Element, key_pem: bytes) -> list[str]:
    """Decrypt EncryptedID/EncryptedAttribute in place (after their signature was explained)."""
    notes = []
    inner = [el for el in root.iter(*ENCRYPTED_TAGS[1:])]
    if len(inner) > MAX_DECRYPTED:
        notes.append(f"{len(inner)} encrypted elements inside: only the first {MAX_DECRYPTED} are decrypted.")
    for el in inner[:MAX_DECRYPTED]:
        notes.append(describe_one(el) + " (decrypted)")
        try:
            el.getparent().replace(el, xmlenc.decrypt(el, key_pem, allow_rsa15=True))
        except (xmlenc.EncryptionProblem, ValueError) as err:
            notes[-1] = notes[-1].removesuffix(" (decrypted)")
            notes.append(f"{etree.QName(el).localname} not decrypted: {getattr(err, 'message', err)}.")
    return notes
