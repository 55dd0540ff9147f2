"""The IdP certificates a subscription trusts: one, or two during a certificate rollover.

A rollover has an overlap: the customer sends the IdP's new certificate before the IdP signs
with it, and the old one is removed only after it stopped. Meanwhile the SP verifies each
signature against each trusted certificate in turn (never a key from KeyInfo: the certificate
KeyInfo carries only decides which trusted one is tried first) and says which one held.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from samlkit import ns, xmldsig
from samlkit.metadata_xml import cert_b64
from sp.model import SPConfig, Subscription


@functools.lru_cache(maxsize=256)
def cert_sha256(cert_pem: bytes) -> str:
    """SHA-256 of the certificate's DER, lower-case hex ("" when the PEM holds no base64)."""
    try:
        der = base64.b64decode(cert_b64(cert_pem), validate=True)
    except (binascii.Error, ValueError):
        return ""
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class TrustedCert:
    pem: bytes
    role: str  # "only" | "old" | "new": its place in a rollover

    @property
    def sha256(self) -> str:
        return cert_sha256(self.pem)

    def describe(self) -> str:
        return _describe(self.pem, self.role)


@functools.lru_cache(maxsize=256)
def _describe(pem: bytes, role: str) -> str:
    """How a check names a certificate: made once per certificate, not per signature verified."""
    sha256 = cert_sha256(pem)
    fp = ":".join(sha256[i : i + 2] for i in range(0, 16, 2)).upper()
    if role == "only":
        return f"the trusted certificate (SHA-256 {fp}…)"
    return f"the {role} certificate of the rollover (SHA-256 {fp}…)"


def trusted_certs(sub: Subscription) -> list[TrustedCert]:
    """The subscription's certificates: the current one, and the next one while a rollover overlaps."""
    current, nxt = sub.idp_cert_pem, sub.idp_cert_pem_next
    if not current or not nxt or nxt == current:
        return [TrustedCert(current, "only")] if current else []  # no current one: no trust (saml_ready)
    return [TrustedCert(current, "old"), TrustedCert(nxt, "new")]


def _keyinfo_sha256(element: etree._Element) -> str | None:
    sig = element.find(ns.q(ns.DS, "Signature"))
    return xmldsig.keyinfo_cert_sha256(sig) if sig is not None else None


def verify(element: etree._Element, sub: Subscription) -> tuple[xmldsig.Verified, TrustedCert]:
    """Verify `element`'s signature with each trusted certificate; the first that holds wins.

    When none holds, the refusal is the current certificate's (the same as with one certificate).
    """
    certs = trusted_certs(sub)
    if not certs:
        raise xmldsig.SignatureProblem("trust-misconfigured", "the subscription trusts no certificate")
    hint = _keyinfo_sha256(element) if len(certs) > 1 else None  # only orders a rollover's two
    ordered = sorted(certs, key=lambda c: c.sha256 != hint) if hint else certs
    problems: dict[TrustedCert, xmldsig.SignatureProblem] = {}
    for cert in ordered:
        try:
            return xmldsig.verify(element, cert.pem), cert
        except xmldsig.SignatureProblem as err:
            problems[cert] = err
            if err.code not in ("signature-invalid", "trust-misconfigured"):
                break  # the signature itself is refused (algorithm, reference...): no key changes that
    raise next(problems[c] for c in certs if c in problems)


def trusted_by_issuer(config: SPConfig) -> Callable[[str], list[bytes] | None]:
    """For the trace: every certificate some subscription trusts for an IdP EntityID."""

    def lookup(issuer: str) -> list[bytes] | None:
        found: list[bytes] = []
        for s in config.subscriptions:
            if s.idp_entity_id == issuer:
                found += [c.pem for c in trusted_certs(s) if c.pem not in found]
        return found or None

    return lookup


def pick_for_signature(root: etree._Element, pems: list[bytes]) -> bytes:
    """Of several trusted certificates, the one the message's KeyInfo names (to explain with), else the first."""
    named = {xmldsig.keyinfo_cert_sha256(sig) for sig in root.iter(ns.q(ns.DS, "Signature"))}
    return next((p for p in pems if cert_sha256(p) in named), pems[0])
