"""The IdP's metadata during a certificate rollover: both signing certificates, as real IdPs
publish them (ADFS, Entra ID, Shibboleth) so that SPs reading metadata can trust the next one
before it signs, and the old one until it stops."""

from __future__ import annotations

import copy

from lxml import etree

from samlkit import ns
from samlkit.metadata_xml import cert_b64
from samlkit.safexml import parse


def with_other_certificate(metadata_xml: str, cert_pem: bytes | None) -> str:
    """`metadata_xml` with a second `KeyDescriptor use="signing"` for `cert_pem` (unchanged without one)."""
    if not cert_pem:
        return metadata_xml
    root = parse(metadata_xml.encode("utf-8"))
    first = root.find(f"{ns.q(ns.MD, 'IDPSSODescriptor')}/{ns.q(ns.MD, 'KeyDescriptor')}[@use='signing']")
    if first is None:
        return metadata_xml
    other = copy.deepcopy(first)
    node = other.find(f".//{ns.q(ns.DS, 'X509Certificate')}")
    if node is None:
        return metadata_xml
    node.text = cert_b64(cert_pem)
    first.addnext(other)
    return etree.tostring(root, encoding="unicode")
