"""samlkit.dsig_layout: a Signature, its SignedInfo and a Reference hold libxmlsec1's children in order.

The engines' differential (test_samlkit_xmldsig_engines.py) holds the rule to libxmlsec1's verdicts
on signed messages; these cases pin the rule itself.
"""

from __future__ import annotations

import pytest
from lxml import etree

from samlkit import dsig_layout, ns


def node(tag: str, children: str) -> etree._Element:
    return etree.fromstring(f'<ds:{tag} xmlns:ds="{ns.DS}" xmlns:x="urn:x">{children}</ds:{tag}>')


def ds(*names: str) -> str:
    return "".join(f"<ds:{n}/>" for n in names)


@pytest.mark.parametrize(
    ("tag", "children", "ok"),
    [
        ("Signature", ds("SignedInfo", "SignatureValue"), True),
        ("Signature", ds("SignedInfo", "SignatureValue", "KeyInfo"), True),
        ("Signature", ds("SignedInfo", "SignatureValue", "KeyInfo", "Object", "Object"), True),
        ("Signature", ds("SignedInfo", "SignatureValue", "Object"), True),
        ("Signature", "<!--c-->" + ds("SignedInfo") + "text" + ds("SignatureValue"), True),
        ("Signature", ds("SignatureValue", "SignedInfo"), False),
        ("Signature", ds("SignedInfo"), False),
        ("Signature", ds("SignedInfo", "SignatureValue", "SignatureValue"), False),
        ("Signature", ds("SignedInfo", "SignatureValue", "KeyInfo", "KeyInfo"), False),
        ("Signature", ds("SignedInfo", "SignatureValue", "Object", "KeyInfo"), False),
        ("Signature", ds("SignedInfo", "SignatureValue", "Object") + "<x:Object/>", False),
        ("Signature", ds("SignedInfo", "SignatureValue") + "<Object/>", False),
        ("SignedInfo", ds("CanonicalizationMethod", "SignatureMethod", "Reference"), True),
        ("SignedInfo", ds("CanonicalizationMethod", "SignatureMethod", "Reference", "Reference"), True),
        ("SignedInfo", ds("CanonicalizationMethod", "SignatureMethod"), False),
        ("SignedInfo", ds("SignatureMethod", "CanonicalizationMethod", "Reference"), False),
        ("SignedInfo", ds("CanonicalizationMethod", "SignatureMethod", "Reference", "Object"), False),
        ("Reference", ds("Transforms", "DigestMethod", "DigestValue"), True),
        ("Reference", ds("DigestMethod", "DigestValue"), True),
        ("Reference", ds("DigestMethod", "DigestValue", "DigestValue"), False),
        ("Reference", ds("Transforms", "Transforms", "DigestMethod", "DigestValue"), False),
        ("Reference", ds("DigestValue", "DigestMethod"), False),
    ],
)
def test_layouts(tag: str, children: str, ok: bool) -> None:
    assert (dsig_layout.misordered(node(tag, children)) is None) is ok


def test_a_stray_child_after_many_objects_is_seen() -> None:
    objects = ds("SignedInfo", "SignatureValue", "KeyInfo") + "<ds:Object/>" * 10_000
    assert dsig_layout.misordered(node("Signature", objects)) is None
    assert dsig_layout.misordered(node("Signature", objects + "<ds:KeyInfo/>")) is not None
