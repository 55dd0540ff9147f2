"""Minimal SAML metadata documents, written by us so pysaml2 can be fed trust from plain values."""

from __future__ import annotations

import functools
from xml.sax.saxutils import quoteattr

from lxml import etree

from samlkit import ns


@functools.lru_cache(maxsize=64)
def cert_b64(cert_pem: bytes) -> str:
    """The certificate's base64 body, one line (cached: the IdP puts it in KeyInfo twice per Response)."""
    text = cert_pem.decode("ascii", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "-----" not in ln]
    return "".join(lines)


def idp_metadata(*, entity_id: str, sso_url: str, cert_pem: bytes) -> str:
    return (
        f'<md:EntityDescriptor xmlns:md="{ns.MD}" xmlns:ds="{ns.DS}" entityID={quoteattr(entity_id)}>'
        f'<md:IDPSSODescriptor protocolSupportEnumeration="{ns.SAMLP}" WantAuthnRequestsSigned="false">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64(cert_pem)}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleSignOnService Binding="{ns.BINDING_REDIRECT}" Location={quoteattr(sso_url)}/>'
        f'<md:SingleSignOnService Binding="{ns.BINDING_POST}" Location={quoteattr(sso_url)}/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def slo_services(slo_url: str) -> str:
    """SingleLogoutService elements for both bindings at one URL (or nothing without a URL)."""
    if not slo_url:
        return ""
    return "".join(
        f'<md:SingleLogoutService Binding="{b}" Location={quoteattr(slo_url)}/>'
        for b in (ns.BINDING_REDIRECT, ns.BINDING_POST)
    )


def sp_metadata(
    *,
    entity_id: str,
    acs_url: str,
    cert_pem: bytes | None = None,
    slo_url: str = "",
    authn_requests_signed: bool = False,
) -> str:
    key = ""
    if cert_pem:
        key = (
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            f"{cert_b64(cert_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        )
    signed = "true" if authn_requests_signed else "false"
    return (
        f'<md:EntityDescriptor xmlns:md="{ns.MD}" xmlns:ds="{ns.DS}" entityID={quoteattr(entity_id)}>'
        f'<md:SPSSODescriptor protocolSupportEnumeration="{ns.SAMLP}" AuthnRequestsSigned="{signed}" '
        f'WantAssertionsSigned="true">{key}{slo_services(slo_url)}'
        f'<md:AssertionConsumerService Binding="{ns.BINDING_POST}" Location={quoteattr(acs_url)} index="0" '
        'isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>'
    )


# Published with the SP's encryption key, strongest first (names from samlkit.xmlenc).
ENCRYPTION_METHODS = (
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
)


def encryption_key_descriptor(cert_pem: bytes) -> str:
    """A `KeyDescriptor use="encryption"` with the certificate and the EncryptionMethods accepted."""
    methods = "".join(f'<md:EncryptionMethod Algorithm="{uri}"/>' for uri in ENCRYPTION_METHODS)
    return (
        f'<md:KeyDescriptor xmlns:md="{ns.MD}" xmlns:ds="{ns.DS}" use="encryption"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{cert_b64(cert_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        f"{methods}</md:KeyDescriptor>"
    )


def with_encryption_key(metadata: str, cert_pem: bytes) -> str:
    """`metadata` (an SP's EntityDescriptor, ours) with an encryption KeyDescriptor added to its
    SPSSODescriptor, after any other KeyDescriptor (the schema's order)."""
    root = etree.fromstring(metadata.encode("utf-8"))
    sp = root.find(ns.q(ns.MD, "SPSSODescriptor"))
    if sp is None:
        return metadata
    descriptor = etree.fromstring(encryption_key_descriptor(cert_pem))
    existing = sp.findall(ns.q(ns.MD, "KeyDescriptor"))
    if existing:
        existing[-1].addnext(descriptor)
    else:
        ext = sp.find(ns.q(ns.MD, "Extensions"))
        if ext is not None:
            ext.addnext(descriptor)
        else:
            sp.insert(0, descriptor)
    return etree.tostring(root, encoding="unicode")
