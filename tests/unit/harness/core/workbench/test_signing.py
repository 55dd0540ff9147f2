"""Signing choices: re-signed with the IdP's key, any workspace key, a PEM pair or a clone; stripped."""

from __future__ import annotations

import pytest
from cryptography import x509

from harness.core.certs import make_keypair
from harness.core.workbench.clone import clone_certificate
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml, serialize
from harness.core.workbench.signing import SigningChoice, apply_signing, first_keyinfo_cert, resolve_key
from samlkit import ns, xmldsig


def _assertion(root):
    return root.find(ns.q(ns.SAML, "Assertion"))


def _reparsed(root):
    """As the SP reads it: lxml's find() misses nodes libxmlsec1 made inside a parsed tree (FIELD-NOTES)."""
    return parse_xml(serialize(root))


def test_resign_with_the_idp_key_verifies_with_the_trusted_cert(demo, signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    _assertion(root).find(".//{*}NameID").text = "bob"
    choice = SigningChoice(resign={"response", "assertion"}, hash="sha512")
    apply_signing(root, choice, resolve_key(choice, demo, root))
    root = _reparsed(root)
    cert = demo.keypair(demo.idp_profile().signing_key).cert_pem
    assert xmldsig.verify(_assertion(root), cert).sig_alg.endswith("rsa-sha512")
    xmldsig.verify(root, cert)


def test_kept_signature_breaks_on_an_edit(demo, signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    _assertion(root).find(".//{*}NameID").text = "bob"
    apply_signing(root, SigningChoice(), None)
    with pytest.raises(xmldsig.SignatureProblem):
        xmldsig.verify(_assertion(root), demo.keypair(demo.idp_profile().signing_key).cert_pem)


def test_strip_removes_only_the_chosen_signature(signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    apply_signing(root, SigningChoice(strip={"assertion"}), None)
    assert _assertion(root).find(ns.q(ns.DS, "Signature")) is None
    assert root.find(ns.q(ns.DS, "Signature")) is not None


def test_clone_copies_subject_and_serial_with_a_new_key(demo, signed: OpenMessage) -> None:
    original = demo.keypair(demo.idp_profile().signing_key)
    clone = clone_certificate(original.cert_pem)
    a, b = x509.load_pem_x509_certificate(original.cert_pem), x509.load_pem_x509_certificate(clone.cert_pem)
    assert (a.subject, a.serial_number, a.not_valid_after_utc) == (b.subject, b.serial_number, b.not_valid_after_utc)
    assert a.public_key().public_numbers() != b.public_key().public_numbers()
    root = parse_xml(signed.xml)
    choice = SigningChoice(resign={"assertion"}, key="clone")
    pair = resolve_key(choice, demo, root)
    assert x509.load_pem_x509_certificate(pair.cert_pem).subject == a.subject  # cloned from the message's cert
    apply_signing(root, choice, pair)
    root = _reparsed(root)
    with pytest.raises(xmldsig.SignatureProblem):
        xmldsig.verify(_assertion(root), original.cert_pem)
    assert first_keyinfo_cert(root) is not None


def test_other_keys_and_bad_choices(demo, signed: OpenMessage) -> None:
    extra = make_keypair("other", kind="ec")
    demo.save_keypair("other", extra)
    root = parse_xml(signed.xml)
    choice = SigningChoice(resign={"assertion"}, key="key:other")
    apply_signing(root, choice, resolve_key(choice, demo, root))
    root = _reparsed(root)
    assert xmldsig.verify(_assertion(root), extra.cert_pem).sig_alg.endswith("ecdsa-sha256")
    pem = SigningChoice(resign={"response"}, key="pem", key_pem=extra.key_pem, cert_pem=extra.cert_pem)
    assert resolve_key(pem, None).cert_pem == extra.cert_pem
    with pytest.raises(WorkbenchError, match="no key pair 'nope'"):
        resolve_key(SigningChoice(resign={"assertion"}, key="key:nope"), demo)
    with pytest.raises(WorkbenchError, match="unknown hash"):
        SigningChoice(hash="md5")
    with pytest.raises(WorkbenchError, match="choose response and/or assertion"):
        SigningChoice(strip={"everything"})
