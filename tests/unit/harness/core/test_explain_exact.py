"""The explainer agrees with libxmlsec1 on every c14n it names, and says digest and value apart."""

from __future__ import annotations

import base64

import pytest
import xmlsec
from libxmlsec1_oracle import libxmlsec1_verifies
from lxml import etree

from harness.core.explain import explain_signatures
from samlkit import safexml

DS = "{http://www.w3.org/2000/09/xmldsig#}"
# The signed Assertion inherits a default namespace, an unused prefix and xml:lang from its parent,
# and holds an element that undeclares the default namespace: all that inclusive c14n carries.
DOC = (
    b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"'
    b' xmlns:unused="urn:unused" xml:lang="en" ID="_resp1"><Issuer>https://idp.example</Issuer>'
    b'<Assertion ID="_a1" Version="2.0"><Issuer>https://idp.example</Issuer><Subject><NameID>alice</NameID>'
    b'</Subject><Advice><plain xmlns="">x</plain></Advice></Assertion></samlp:Response>'
)
C14NS = {
    "c14n": xmlsec.Transform.C14N,
    "c14n11": xmlsec.Transform.C14N11,
    "exc-c14n": xmlsec.Transform.EXCL_C14N,
}


def _sign(root, target, key_pem: bytes, *, uri: str, c14n=xmlsec.Transform.EXCL_C14N, si_c14n=None):
    sig = xmlsec.template.create(target, si_c14n or c14n, xmlsec.Transform.RSA_SHA256, ns="ds")
    target.insert(1, sig)
    ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri=uri)
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, c14n)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    xmlsec.tree.add_ids(root, ["ID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(key_pem, xmlsec.KeyFormat.PEM)
    ctx.sign(sig)
    return sig


@pytest.mark.parametrize("c14n", sorted(C14NS))
@pytest.mark.parametrize("si_c14n", ["same", "c14n"])
def test_every_c14n_agrees_with_libxmlsec1_in_a_namespace_rich_context(sign_fixtures, c14n, si_c14n):
    root = etree.fromstring(DOC)
    key_pem = sign_fixtures.key_pem
    _sign(root, root[1], key_pem, uri="#_a1", c14n=C14NS[c14n], si_c14n=None if si_c14n == "same" else C14NS["c14n"])
    text = etree.tostring(root)
    root = safexml.parse(text)
    assert libxmlsec1_verifies(root, 0, sign_fixtures.cert_pem)
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.transforms == ["enveloped", c14n]
    assert info.digest_ok is True and info.value_ok is True, info.verdict
    assert "changed after it was signed" not in info.verdict


def test_a_changed_signature_value_is_not_a_digest_mismatch(sign_fixtures):
    root = sign_fixtures.response()
    value = root.find(f".//{DS}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    root = safexml.parse(etree.tostring(root))
    assert not libxmlsec1_verifies(root, 0, sign_fixtures.cert_pem)
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.digest_ok is True and info.value_ok is False
    assert "Digest mismatch" not in info.verdict
    assert "The signature value does not verify with the trusted certificate" in info.verdict


def test_an_empty_reference_uri_on_the_root_covers_the_whole_document(sign_fixtures):
    root = sign_fixtures.response(sign_assertion=False)
    _sign(root, root, sign_fixtures.key_pem, uri="")
    root = safexml.parse(etree.tostring(root))
    assert libxmlsec1_verifies(root, 0, sign_fixtures.cert_pem)
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert (info.element, info.reference_uri) == ("Response", "")
    assert info.digest_ok is True and info.value_ok is True
    assert "it covers the whole document, which is this Response" in info.verdict
    assert "wrapping" not in info.verdict
    assert "The SP refuses it" in info.verdict  # the SP's refusal stays: only #ID References


def test_a_keyinfo_certificate_given_as_base64_of_its_pem_is_read_and_named(sign_fixtures):
    root = sign_fixtures.response()
    node = root.find(f".//{DS}X509Certificate")
    node.text = base64.b64encode(sign_fixtures.cert_pem).decode()
    root = safexml.parse(etree.tostring(root))
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.keyinfo_subject == "CN=idp-2026" and info.cert_matches is True
    assert info.digest_ok is True and info.value_ok is True
    assert "base64 of its PEM text" in info.verdict and "unreadable" not in info.verdict


def test_a_tampered_inclusive_c14n_signature_is_a_digest_mismatch_only(sign_fixtures):
    root = etree.fromstring(DOC)
    _sign(root, root[1], sign_fixtures.key_pem, uri="#_a1", c14n=C14NS["c14n"])
    root = safexml.parse(etree.tostring(root).replace(b"<NameID>alice", b"<NameID>admin"))
    assert not libxmlsec1_verifies(root, 0, sign_fixtures.cert_pem)
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.digest_ok is False and info.value_ok is True
