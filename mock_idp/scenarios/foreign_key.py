"""Foreign keys: the attacker signs with a key of their own and dresses up KeyInfo.

Rule: only the subscription's trusted certificate verifies; a key or certificate carried in
KeyInfo is never used to verify, nor matched by name (docs/ARCHITECTURE.md, security baseline).
"""

from __future__ import annotations

import base64
import functools
from functools import partial

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from mock_idp.scenarios.base import Context, Message, q, scenario, set_name_id, signature_of
from samlkit import ns

_s = partial(scenario, family="foreign-key")
_INVALID = {"signature-invalid"}


def _forged(ctx: Context, *, cert_pem: bytes | None) -> tuple[etree._Element, etree._Element]:
    """Both levels signed by the foreign key, NameID set to the victim before signing."""
    resp, assertion = ctx.build()
    set_name_id(assertion, ctx.victim_name_id)
    ctx.sign(resp, assertion, "both", key_pem=ctx.foreign_key_pem, cert_pem=cert_pem)
    return resp, assertion


def _cert_body(cert_pem: bytes) -> str:
    return "".join(line for line in cert_pem.decode("ascii").splitlines() if "-----" not in line)


def _keyinfo_certs(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(q("X509Certificate", ns.DS)))


@functools.cache
def lookalike_cert(trusted_cert_pem: bytes, foreign_key_pem: bytes) -> bytes:
    """A certificate for the foreign key that copies the trusted one's subject, issuer, serial and dates."""
    trusted = x509.load_pem_x509_certificate(trusted_cert_pem)
    key = serialization.load_pem_private_key(foreign_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("the foreign key must be an RSA or EC key")
    cert = (
        x509.CertificateBuilder()
        .subject_name(trusted.subject)
        .issuer_name(trusted.issuer)
        .public_key(key.public_key())
        .serial_number(trusted.serial_number)
        .not_valid_before(trusted.not_valid_before_utc)
        .not_valid_after(trusted.not_valid_after_utc)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@_s(
    "foreign-key-keyinfo",
    rule="A signature made by a key the SP does not trust is not a signature, whatever KeyInfo says.",
    expect=_INVALID,
)
def keyinfo(ctx: Context) -> Message:
    """Signed by the attacker's key, with the attacker's certificate in KeyInfo, naming the victim."""
    resp, _ = _forged(ctx, cert_pem=ctx.foreign_cert_pem)
    return ctx.message(resp)


@_s(
    "foreign-key-lookalike-cert",
    rule="Trust is the certificate itself, not a subject name, issuer or serial number that anyone can copy.",
    expect=_INVALID,
)
def lookalike(ctx: Context) -> Message:
    """Signed by the attacker's key; KeyInfo holds a certificate copying the trusted one's names and serial."""
    resp, _ = _forged(ctx, cert_pem=lookalike_cert(ctx.idp_cert_pem, ctx.foreign_key_pem))
    return ctx.message(resp)


@_s(
    "keyinfo-cert-swapped",
    rule="Showing the trusted certificate in KeyInfo does not make an attacker's signature valid.",
    expect=_INVALID,
)
def swapped(ctx: Context) -> Message:
    """Signed by the attacker's key, KeyInfo swapped to show the IdP's trusted certificate, naming the victim."""
    resp, _ = _forged(ctx, cert_pem=ctx.foreign_cert_pem)
    body = _cert_body(ctx.idp_cert_pem)
    for el in _keyinfo_certs(resp):
        el.text = body
    return ctx.message(resp)


@_s(
    "foreign-key-keyvalue",
    rule="A bare public key in KeyInfo (RSAKeyValue) is never trusted.",
    expect=_INVALID,
)
def keyvalue(ctx: Context) -> Message:
    """Signed by the attacker's key, with the attacker's public key as an RSAKeyValue in KeyInfo."""
    resp, assertion = _forged(ctx, cert_pem=None)
    pub = serialization.load_pem_private_key(ctx.foreign_key_pem, password=None).public_key()
    assert isinstance(pub, rsa.RSAPublicKey)
    numbers = pub.public_numbers()

    def b64int(n: int) -> str:
        return base64.b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).decode()

    for el in (resp, assertion):
        sig = signature_of(el)
        ki = etree.SubElement(sig, q("KeyInfo", ns.DS))
        rkv = etree.SubElement(etree.SubElement(ki, q("KeyValue", ns.DS)), q("RSAKeyValue", ns.DS))
        etree.SubElement(rkv, q("Modulus", ns.DS)).text = b64int(numbers.n)
        etree.SubElement(rkv, q("Exponent", ns.DS)).text = b64int(numbers.e)
    return ctx.message(resp)


@_s(
    "foreign-key-no-keyinfo",
    rule="A signature is checked against the trusted certificate even when no KeyInfo names a key.",
    expect=_INVALID,
)
def no_keyinfo(ctx: Context) -> Message:
    """Signed by the attacker's key with no KeyInfo at all, naming the victim."""
    resp, _ = _forged(ctx, cert_pem=None)
    return ctx.message(resp)


@_s(
    "keyinfo-retrieval-method",
    rule="The SP never fetches a key from a URL in KeyInfo (RetrievalMethod): no SSRF, no attacker key.",
    expect=_INVALID,
)
def retrieval_method(ctx: Context) -> Message:
    """Signed by the attacker's key; KeyInfo points with a RetrievalMethod at the attacker's URL (the canary)."""
    resp, assertion = _forged(ctx, cert_pem=None)
    for el in (resp, assertion):
        ki = etree.SubElement(signature_of(el), q("KeyInfo", ns.DS))
        rm = etree.SubElement(ki, q("RetrievalMethod", ns.DS))
        rm.set("URI", f"{ctx.canary_url}/keyinfo-retrieval-method")
        rm.set("Type", "http://www.w3.org/2000/09/xmldsig#rawX509Certificate")
    return ctx.message(resp)


SCENARIOS = [keyinfo, lookalike, swapped, keyvalue, no_keyinfo, retrieval_method]
