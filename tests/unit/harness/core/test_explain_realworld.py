"""Responses from other libraries' test suites (tests/data/realworld/README.md): the explainer's
digest and value verdicts agree with libxmlsec1 on each signature."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from libxmlsec1_oracle import libxmlsec1_verifies
from lxml import etree

from harness.core.explain import explain_signatures
from samlkit import safexml, xmldsig

DATA = Path(__file__).resolve().parents[3] / "data" / "realworld"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
# file -> per signature: (element, digest_ok, value_ok)
EXPECTED = {
    "starfield_response.xml.base64": [("Response", True, True)],
    "adfs_response_sha256.xml": [("Assertion", True, True)],
    "inclusive_namespaces.xml": [("Assertion", True, True)],
    "response_without_reference_uri.xml.base64": [("Response", True, True)],
    "valid_response.xml.base64": [("Response", True, True), ("Assertion", True, True)],
    "simplesamlphp_authnresponse.xml": [("Assertion", False, False)],
}


def _load(name: str) -> bytes:
    data = (DATA / name).read_bytes().strip()
    return data if data.startswith(b"<") else base64.b64decode(data)


def _keyinfo_cert_pem(root: etree._Element) -> bytes:
    der = xmldsig.keyinfo_cert_der(next(root.iter(f"{DS}Signature")))
    if der.startswith(b"-----BEGIN"):
        return der
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def test_the_corpus_is_documented():
    readme = (DATA / "README.md").read_text()
    assert sorted(p.name for p in DATA.iterdir() if p.name != "README.md") == sorted(EXPECTED)
    assert all(f"`{name}`" in readme for name in EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_explainer_agrees_with_libxmlsec1(name):
    root = safexml.parse(_load(name))
    cert = _keyinfo_cert_pem(root)
    infos = explain_signatures(root, cert)
    assert [(i.element, i.digest_ok, i.value_ok) for i in infos] == EXPECTED[name], [i.verdict for i in infos]
    for n, info in enumerate(infos):
        assert libxmlsec1_verifies(root, n, cert) is bool(info.digest_ok and info.value_ok)
        assert "could not be examined" not in info.verdict


def test_what_each_real_message_is_called():
    said = {name: " ".join(i.verdict for i in explain_signatures(safexml.parse(_load(name)))) for name in EXPECTED}
    assert "base64 of its PEM text" in said["adfs_response_sha256.xml"]
    assert "covers the whole document, which is this Response" in said["response_without_reference_uri.xml.base64"]
    assert "wrapping" not in said["response_without_reference_uri.xml.base64"]
    assert "Digest mismatch" in said["simplesamlphp_authnresponse.xml"]
    assert "Digest mismatch" not in said["starfield_response.xml.base64"]
