"""Encrypted assertions: encryption hides an Assertion, it never vouches for it.

Rule: anyone can encrypt to the SP's public key, so a decrypted Assertion must pass every check
a plain one does (its own signature above all); decryption failures are one refusal whatever
their cause (no padding oracle); only allow-listed algorithms run, nothing external is fetched.
Each scenario needs the SP's encryption certificate (its metadata's use="encryption" key).
"""

from __future__ import annotations

import base64
import copy
from dataclasses import replace
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import HARM_IMPERSONATION, NEEDS_ENCRYPTION, Context, Message, evil_assertion, q, scenario
from samlkit import ns, xmlenc

_s = partial(scenario, family="encryption", needs={NEEDS_ENCRYPTION})
_FAILED = {"decryption-failed"}


def _xenc(local: str) -> str:
    return ns.q(xmlenc.XENC, local)


def _sp_cert(ctx: Context) -> bytes:
    """The SP's encryption certificate (the battery skips this family without one)."""
    if not ctx.sp.encryption_cert_pem:
        raise ValueError("the SP's encryption certificate is not known")
    return ctx.sp.encryption_cert_pem


def _encrypted(ctx: Context, *, cert_pem: bytes | None = None, **algs: str) -> etree._Element:
    """A Response whose Assertion (the attacker's own, signed by the IdP) is encrypted to `cert_pem`."""
    resp, assertion = ctx.signed("assertion")
    xmlenc.encrypt_assertion(assertion, cert_pem or _sp_cert(ctx), **algs)
    return resp


def _encrypted_data(resp: etree._Element) -> etree._Element:
    return resp.find(f"{q('EncryptedAssertion')}/{_xenc('EncryptedData')}")


@_s(
    "encrypted-wrong-key",
    rule="An Assertion encrypted to another key is refused as undecryptable, with the one decryption refusal.",
    expect=_FAILED,
)
def wrong_key(ctx: Context) -> Message:
    """The signed Assertion encrypted to the attacker's certificate instead of the SP's."""
    return ctx.message(_encrypted(ctx, cert_pem=ctx.foreign_cert_pem))


@_s(
    "encrypted-swapped-key",
    rule="The EncryptedKey belongs to its EncryptedData: another message's session key decrypts nothing.",
    expect=_FAILED,
)
def swapped_key(ctx: Context) -> Message:
    """The EncryptedKey of a second, separately encrypted Response put in the first one's KeyInfo."""
    resp = _encrypted(ctx)
    other = _encrypted(ctx)
    mine = next(resp.iter(_xenc("EncryptedKey")))
    mine.getparent().replace(mine, copy.deepcopy(next(other.iter(_xenc("EncryptedKey")))))
    return ctx.message(resp)


@_s(
    "encrypted-unsigned-assertion",
    rule="Encryption is not a signature: an unsigned Assertion encrypted to the SP's public key is refused.",
    expect={"signature-missing"},
)
def unsigned_inside(ctx: Context) -> Message:
    """An unsigned Assertion naming the victim, encrypted to the SP's certificate (which anyone can do)."""
    resp, assertion = ctx.build()
    assertion.getparent().replace(assertion, evil := evil_assertion(ctx, assertion, keep_id=True))
    xmlenc.encrypt_assertion(evil, _sp_cert(ctx))
    return ctx.message(resp)


@_s(
    "encrypted-beside-forged-plain",
    rule="One Assertion, encrypted or not: a plain forgery next to a genuine encrypted one is refused, not read.",
    expect={"assertion-count"},
)
def beside_forged(ctx: Context) -> Message:
    """The attacker's genuine signed-then-encrypted Assertion, plus a plain unsigned one naming the victim."""
    resp, assertion = ctx.signed("assertion")
    forged = evil_assertion(ctx, assertion)
    xmlenc.encrypt_assertion(assertion, _sp_cert(ctx))
    resp.find(q("EncryptedAssertion")).addprevious(forged)
    return ctx.message(resp)


@_s(
    "encrypted-inside-forged-plain",
    rule="A genuine encrypted Assertion hidden inside a forged plain one is not a licence to read the forgery.",
    expect={"assertion-count", "signature-missing"},
    harm=HARM_IMPERSONATION,
)
def inside_forged(ctx: Context) -> Message:
    """A plain unsigned Assertion naming the victim, with the genuine EncryptedAssertion tucked in its Advice."""
    resp, assertion = ctx.signed("assertion")
    forged = evil_assertion(ctx, assertion)
    enc = xmlenc.encrypt_assertion(assertion, _sp_cert(ctx))
    advice = etree.SubElement(forged, q("Advice"))
    enc.getparent().replace(enc, forged)
    advice.append(enc)
    return ctx.message(resp)


@_s(
    "encrypted-rsa-1_5",
    rule="RSA 1.5 key transport (Bleichenbacher's padding oracle) is refused unless the subscription allows it.",
    expect={"encryption-weak-algorithm"},
)
def rsa15(ctx: Context) -> Message:
    """The genuine signed Assertion, its session key wrapped with RSA PKCS#1 v1.5."""
    return ctx.message(_encrypted(ctx, key_alg=xmlenc.RSA_1_5))


@_s(
    "encrypted-unknown-algorithm",
    rule="Only allow-listed encryption algorithms reach the decryptor (here 3DES, which is not one).",
    expect={"encryption-algorithm-unsupported"},
)
def unknown_algorithm(ctx: Context) -> Message:
    """The EncryptedData claims Triple-DES; the SP must refuse before decrypting anything."""
    resp = _encrypted(ctx)
    _encrypted_data(resp).find(_xenc("EncryptionMethod")).set("Algorithm", xmlenc.XENC + "tripledes-cbc")
    return ctx.message(resp)


@_s(
    "encrypted-retrieval-method",
    rule="A RetrievalMethod pointing outside the message is never followed.",
    expect={"encrypted-malformed"},
)
def retrieval_method(ctx: Context) -> Message:
    """The EncryptedData's KeyInfo names its key by a RetrievalMethod to the attacker's URL."""
    resp = _encrypted(ctx)
    ki = _encrypted_data(resp).find(q("KeyInfo", ns.DS))
    for child in list(ki):
        ki.remove(child)
    etree.SubElement(ki, q("RetrievalMethod", ns.DS), URI=ctx.canary_url + "/key", Type=xmlenc.XENC + "EncryptedKey")
    return ctx.message(resp)


@_s(
    "encrypted-cipher-reference",
    rule="A CipherReference (ciphertext to fetch from a URL) is never followed.",
    expect={"encrypted-malformed"},
)
def cipher_reference(ctx: Context) -> Message:
    """The EncryptedData's ciphertext replaced by a CipherReference to the attacker's URL."""
    resp = _encrypted(ctx)
    cipher_data = _encrypted_data(resp).find(_xenc("CipherData"))
    cipher_data[0] = etree.Element(_xenc("CipherReference"), URI=ctx.canary_url + "/data")
    return ctx.message(resp)


@_s(
    "encrypted-cbc-bitflip",
    rule="AES-CBC is malleable: a flipped bit in the IV changes the plaintext, which the signature then refuses.",
    expect={"decryption-failed", "signature-invalid"},
)
def cbc_bitflip(ctx: Context) -> Message:
    """AES-128-CBC; one bit of the IV flipped, so the first plaintext block changes undetected by AES."""
    resp = _encrypted(ctx, data_alg=xmlenc.AES128_CBC)
    value = _encrypted_data(resp).find(f"{_xenc('CipherData')}/{_xenc('CipherValue')}")
    raw = bytearray(base64.b64decode("".join(value.text.split())))
    raw[15] ^= 0x01  # the last IV byte: the 16th plaintext byte, inside the Assertion's start tag
    value.text = base64.b64encode(bytes(raw)).decode("ascii")
    return ctx.message(resp)


@_s(
    "encrypted-for-another-sp",
    rule="An Assertion encrypted to this SP but issued to another SP (Audience) is still refused.",
    expect={"audience-mismatch", "recipient-mismatch", "destination-mismatch"},
)
def another_audience(ctx: Context) -> Message:
    """A genuine signed Assertion for another SP's EntityID, encrypted to this SP's certificate."""
    other = ctx.with_(sp=replace(ctx.sp, entity_id="https://other-sp.example/saml"))
    resp, assertion = other.signed("assertion")
    xmlenc.encrypt_assertion(assertion, _sp_cert(ctx))
    return ctx.message(resp)


@_s(
    "encrypted-id-in-signature",
    rule="Only what a signature covers is decrypted: an EncryptedID in the Assertion's own ds:Signature is not.",
    expect={"encrypted-malformed", "signature-invalid"},
    harm=HARM_IMPERSONATION,
)
def id_in_signature(ctx: Context) -> Message:
    """The attacker's genuine signed Assertion, with an EncryptedID naming the victim added to its
    ds:Signature (in a ds:Object), the one part of it the enveloped signature does not cover."""
    resp, assertion = ctx.signed("assertion")
    obj = etree.SubElement(assertion.find(ns.q(ns.DS, "Signature")), ns.q(ns.DS, "Object"))
    name_id = etree.SubElement(obj, q("NameID"))
    name_id.text = ctx.victim_name_id
    xmlenc.encrypt_name_id(name_id, _sp_cert(ctx))
    return ctx.message(resp)


SCENARIOS = [
    wrong_key,
    swapped_key,
    unsigned_inside,
    beside_forged,
    inside_forged,
    rsa15,
    unknown_algorithm,
    retrieval_method,
    cipher_reference,
    cbc_bitflip,
    another_audience,
    id_in_signature,
]
