"""samlkit.dsig_value: which signatures it takes, and what it says of each it checks."""

from __future__ import annotations

import pytest
from cryptography import x509
from lxml import etree
from saml_helpers import Keys

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned
from samlkit import dsig_value, ns, safexml, xmldsig

DS = ns.DS


def _signed(keys: Keys) -> tuple[etree._Element, etree._Element]:
    resp, _ = build_unsigned(
        idp_entity_id="urn:idp",
        sp=SPSettings(entity_id="urn:sp", acs_url="https://sp/acs"),
        user=IdPUser("alice", "pw", email="alice@corp.test"),
        in_response_to=None,
    )
    assertion = resp.find(ns.q(ns.SAML, "Assertion"))
    xmldsig.sign(assertion, keys.idp.key_pem, keys.idp.cert_pem)
    root = safexml.parse(etree.tostring(resp))
    return root, root.find(ns.q(ns.SAML, "Assertion"))


def _form(element: etree._Element) -> tuple[etree._Element, list[str]]:
    sig = element.find(ns.q(DS, "Signature"))
    c14n = sig.find(f"{ns.q(DS, 'SignedInfo')}/{ns.q(DS, 'CanonicalizationMethod')}")
    return c14n, [t.get("Algorithm") for t in sig.iter(ns.q(DS, "Transform"))]


def test_it_takes_what_the_mock_idp_signs(keys: Keys) -> None:
    _, a = _signed(keys)
    c14n, transforms = _form(a)
    assert dsig_value.takes(a.get("ID"), c14n, transforms)


@pytest.mark.parametrize(
    "change",
    [
        "an ID libxmlsec1 reads as XPointer",
        "SignedInfo with comments",
        "a PrefixList",
        "only the enveloped transform",
    ],
)
def test_every_other_form_is_left_to_libxmlsec1(keys: Keys, change: str) -> None:
    _, a = _signed(keys)
    c14n, transforms = _form(a)
    element_id = a.get("ID")
    if change == "an ID libxmlsec1 reads as XPointer":
        element_id = "xpointer(/)"
    elif change == "SignedInfo with comments":
        c14n.set("Algorithm", ns.C14N_EXC_COMMENTS)
    elif change == "a PrefixList":
        etree.SubElement(c14n, ns.q(ns.C14N_EXC, "InclusiveNamespaces"), PrefixList="xs")
    else:
        transforms = transforms[:1]
    assert not dsig_value.takes(element_id, c14n, transforms)


def test_it_says_which_part_does_not_hold(keys: Keys) -> None:
    _, a = _signed(keys)
    sig = a.find(ns.q(DS, "Signature"))
    idp, foreign = (x509.load_pem_x509_certificate(k.cert_pem) for k in (keys.idp, keys.foreign))
    assert dsig_value.check(a, sig, "rsa-sha256", "sha256", idp) == ""
    assert dsig_value.check(a, sig, "rsa-sha256", "sha256", foreign).endswith("certificate")
    a.find(f".//{ns.q(ns.SAML, 'NameID')}").text = "mallory"
    assert "changed after signing" in dsig_value.check(a, sig, "rsa-sha256", "sha256", idp)


@pytest.mark.parametrize(
    ("text", "octets"),
    [("QUJD", b"ABC"), ("Q U\nJ\tD\r", b"ABC"), ("QUJD\u00a0", None), ("QUJ*", None)],
)
def test_base64_values_skip_ascii_whitespace_only(text: str, octets: bytes | None) -> None:
    node = etree.Element(ns.q(DS, "DigestValue"))
    node.text = text
    assert dsig_value.b64_value(node) == octets
