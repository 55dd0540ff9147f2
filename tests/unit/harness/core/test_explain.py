import base64
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from harness.core.explain import (
    explain_signatures,
    fingerprint_display,
    load_certificate,
)
from samlkit import ns, safexml

SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


def reparse(root: etree._Element) -> etree._Element:
    return safexml.parse(etree.tostring(root))


def sha256_of(cert_pem: bytes) -> str:
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def test_good_signature_all_true(sign_fixtures):
    [info] = explain_signatures(reparse(sign_fixtures.response()), sign_fixtures.cert_pem)
    assert (info.element, info.element_id, info.reference_uri) == ("Assertion", "_assert1", "#_assert1")
    assert info.transforms == ["enveloped", "exc-c14n"]
    assert (info.c14n, info.sig_alg, info.digest_alg) == ("exc-c14n", "rsa-sha256", "sha256")
    assert info.digest_stated and info.digest_stated == info.digest_computed
    assert info.digest_ok is info.value_ok is info.cert_matches is True
    assert info.keyinfo_cert_sha256 == info.trusted_cert_sha256 == sha256_of(sign_fixtures.cert_pem)
    assert re.fullmatch(r"[0-9a-f]{64}", info.keyinfo_cert_sha256)
    assert info.keyinfo_subject == info.trusted_subject == "CN=idp-2026"
    assert info.verdict == "The signature verifies with the trusted certificate."


def test_response_and_assertion_each_explained(sign_fixtures):
    infos = explain_signatures(reparse(sign_fixtures.response(sign_response=True)), sign_fixtures.cert_pem)
    assert [(i.element, i.element_id) for i in infos] == [("Response", "_resp1"), ("Assertion", "_assert1")]
    assert all(i.digest_ok and i.value_ok for i in infos)


def test_tampered_assertion(sign_fixtures):
    text = etree.tostring(sign_fixtures.response()).replace(b"user1@example.com", b"admin@example.com")
    [info] = explain_signatures(safexml.parse(text), sign_fixtures.cert_pem)
    assert info.digest_ok is False
    assert info.digest_computed != info.digest_stated
    assert info.value_ok is True  # the content changed, the SignedInfo did not: each said exactly
    assert info.cert_matches is True
    assert info.verdict.startswith("Digest mismatch: the Assertion was changed after it was signed.")
    assert "the SignedInfo is intact, only the signed content changed" in info.verdict


def test_foreign_certificate(sign_fixtures):
    root = reparse(sign_fixtures.response(key_pem=sign_fixtures.other_key_pem, cert_pem=sign_fixtures.other_cert_pem))
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.digest_ok is True
    assert info.cert_matches is False and info.value_ok is False
    assert info.keyinfo_subject == "CN=old-idp" and info.trusted_subject == "CN=idp-2026"
    assert "CN=old-idp" in info.verdict and "CN=idp-2026" in info.verdict
    assert info.verdict.startswith("The Assertion is signed by CN=old-idp (SHA-256 ")
    assert fingerprint_display(info.keyinfo_cert_sha256) in info.verdict
    assert fingerprint_display(info.trusted_cert_sha256) in info.verdict
    assert "Update the certificate in the questionnaire" in info.verdict


def test_fingerprint_display():
    assert fingerprint_display("3b1f220a" + "0" * 56) == "3B:1F:22:0A:…"


def test_no_trusted_certificate_checks_the_digest_only(sign_fixtures):
    [info] = explain_signatures(reparse(sign_fixtures.response()))
    assert info.digest_ok is True
    assert info.value_ok is None and info.cert_matches is None and info.trusted_cert_sha256 is None
    assert "No trusted certificate" in info.verdict and "CN=idp-2026" in info.verdict


def test_trusted_certificate_as_bare_base64(sign_fixtures):
    der = x509.load_pem_x509_certificate(sign_fixtures.cert_pem).public_bytes(serialization.Encoding.DER)
    [info] = explain_signatures(reparse(sign_fixtures.response()), base64.b64encode(der))
    assert info.value_ok is True


def test_unreadable_trusted_certificate(sign_fixtures):
    assert load_certificate(b"not a certificate") is None
    [info] = explain_signatures(reparse(sign_fixtures.response()), b"not a certificate")
    assert info.digest_ok is True and info.value_ok is None
    assert "could not be read" in info.verdict


def test_inclusive_namespaces_prefix_list_and_whitespace_are_honoured(sign_fixtures):
    root = sign_fixtures.response(sign_assertion=False)
    etree.indent(root)
    assertion = root.find(f"{SAML}Assertion")
    sign_fixtures.sign_custom(assertion, prefixes=["xs"], tail="\n    ")
    text = etree.tostring(root)
    assert b"PrefixList" in text
    [info] = explain_signatures(safexml.parse(text), sign_fixtures.cert_pem)
    assert info.digest_ok is True and info.value_ok is True, info.verdict


def test_duplicate_id_is_not_resolved(sign_fixtures):
    root = reparse(sign_fixtures.response())
    evil = etree.fromstring(etree.tostring(root.find(f"{SAML}Assertion")))
    root.append(evil)
    infos = explain_signatures(root, sign_fixtures.cert_pem)
    assert len(infos) == 2
    # The SignedInfo is intact (the value verifies), but which element it covers is ambiguous.
    assert all(i.digest_ok is None and i.value_ok is True for i in infos)
    assert "occurs 2 times" in infos[0].verdict and "The SP refuses it" in infos[0].verdict


def test_reference_to_another_element_is_called_out(sign_fixtures):
    root = reparse(sign_fixtures.response())
    root.find(f"{SAML}Assertion").set("ID", "_other")
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert info.digest_ok is None and info.value_ok is True  # SignedInfo intact; the target is gone
    assert "no element in the message has the ID '_assert1'" in info.verdict
    assert "does not protect the Assertion" in info.verdict


def test_sha1_is_named(sign_fixtures):
    [info] = explain_signatures(reparse(sign_fixtures.response(hash_name="sha1")), sign_fixtures.cert_pem)
    assert (info.sig_alg, info.digest_alg, info.value_ok) == ("rsa-sha1", "sha1", True)
    assert "SHA-1, which the SP refuses" in info.verdict


def test_broken_signature_elements_give_verdicts_not_errors(sign_fixtures):
    root = reparse(sign_fixtures.response())
    sig = root.find(f".//{{{ns.DS}}}Signature")
    sig.remove(sig.find(f"{{{ns.DS}}}SignedInfo"))
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert "no SignedInfo" in info.verdict and info.value_ok is False
    root = safexml.parse(f'<x xmlns:ds="{ns.DS}"><ds:Signature><ds:SignedInfo/></ds:Signature></x>'.encode())
    [info] = explain_signatures(root, sign_fixtures.cert_pem)
    assert "no Reference" in info.verdict
