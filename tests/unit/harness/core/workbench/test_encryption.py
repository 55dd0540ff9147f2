"""Encrypting the Assertion: signed first, encrypted, then the Response signed over the encrypted form."""

from __future__ import annotations

import pytest

from harness.core.workbench.encryption import EncryptionChoice
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml
from harness.core.workbench.send import SendOptions, prepare
from harness.core.workbench.signing import SigningChoice
from samlkit import ns, xmldsig, xmlenc


def test_encrypted_and_resigned_message_decrypts_and_verifies(demo, signed: OpenMessage) -> None:
    sp = demo.keypair("sp-encryption-4711")
    idp_cert = demo.keypair(demo.idp_profile().signing_key).cert_pem
    options = SendOptions(
        signing=SigningChoice(resign={"response", "assertion"}), refresh=False, encryption=EncryptionChoice(sp.cert_pem)
    )
    root = parse_xml(prepare(signed, options, demo).xml)
    assert root.find(ns.q(ns.SAML, "Assertion")) is None
    encrypted = root.find(ns.q(ns.SAML, "EncryptedAssertion"))
    xmldsig.verify(root, idp_cert)  # the Response's signature covers the encrypted form
    assertion = xmlenc.decrypt_assertion(encrypted, sp.key_pem)
    assert assertion.find(ns.q(ns.DS, "Signature")) is not None


def test_unknown_algorithm_is_an_error_in_words(demo, signed: OpenMessage) -> None:
    sp = demo.keypair("sp-encryption-4711")
    options = SendOptions(encryption=EncryptionChoice(sp.cert_pem, data_alg="rot13"))
    with pytest.raises(WorkbenchError, match="encrypting the Assertion failed"):
        prepare(signed, options, demo)
