"""libxmlsec1 itself as the reference the explainer must agree with (every transform allowed,
not the SP's strict rules), through the same `xmlsec` bindings the SP uses: no process spawned."""

from __future__ import annotations

import copy

import xmlsec
from lxml import etree

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def libxmlsec1_verifies(root: etree._Element, n: int, cert_pem: bytes) -> bool:
    """Does libxmlsec1 accept the n-th ds:Signature of `root` with the key of `cert_pem`?"""
    doc = copy.deepcopy(root)
    xmlsec.tree.add_ids(doc, ["ID", "AssertionID"])
    sig = list(doc.iter(f"{DS}Signature"))[n]
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    try:
        ctx.verify(sig)
    except xmlsec.Error:
        return False
    return True
