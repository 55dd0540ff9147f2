"""The inspector and `decode` on encrypted assertions: what decrypts them, and with `--key` what they hide.

With the key the Response's signature is checked over the encrypted form it was made on, and the
Assertion's over the decrypted plaintext, both against the trusted certificate.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from harness.core.certs import make_keypair
from harness.core.cli import main
from harness.core.inspect_message import format_message, inspect
from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, sign_as_configured
from samlkit import xmlenc


@pytest.fixture(scope="module")
def keys():
    return make_keypair("idp.inspect.test"), make_keypair("sp-enc.inspect.test"), make_keypair("other.inspect.test")


def encrypted_response(idp, sp_enc, user: IdPUser | None = None, **sp) -> bytes:
    settings = SPSettings(
        entity_id="urn:sp",
        acs_url="https://sp/acs",
        sign="both",
        encrypt_assertion=True,
        encryption_cert_pem=sp_enc.cert_pem,
        **sp,
    )
    resp, a = build_unsigned(
        idp_entity_id="urn:idp",
        sp=settings,
        user=user or IdPUser("alice", "pw", email="alice@corp.test"),
        in_response_to=None,
    )
    sign_as_configured(resp, a, settings, idp.key_pem, idp.cert_pem)
    return etree.tostring(resp)


def fingerprint(cert_pem: bytes) -> str:
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(Encoding.DER)
    return hashlib.sha256(der).hexdigest()[:2].upper()


def test_without_a_key_it_says_what_would_decrypt_it(keys):
    idp, sp_enc, _ = keys
    [msg] = inspect(encrypted_response(idp, sp_enc), idp.cert_pem)
    assert msg.error == "" and msg.summary.name_id == "" and msg.summary.kind == "Response"
    [note] = msg.encryption
    assert note.startswith("EncryptedAssertion: AES-256-GCM, key wrapped with RSA-OAEP (MGF1 SHA-1)")
    assert f"certificate SHA-256 {fingerprint(sp_enc.cert_pem)}:" in note
    assert [(s.element, s.value_ok) for s in msg.signatures] == [("Response", True)]
    assert "Encrypted\n  EncryptedAssertion:" in format_message(msg)


def test_with_the_key_it_decrypts_and_checks_the_signatures_inside(keys):
    idp, sp_enc, _ = keys
    [msg] = inspect(encrypted_response(idp, sp_enc, encrypt_name_id=True), idp.cert_pem, sp_enc.key_pem)
    assert msg.summary.name_id == "alice" and msg.summary.attributes["mail"] == ["alice@corp.test"]
    assert [(s.element, s.value_ok) for s in msg.signatures] == [("Response", True), ("Assertion", True)]
    assert any("EncryptedID" in n for n in msg.encryption) and any(
        "Decrypted with the key" in n for n in msg.encryption
    )
    assert "<saml:Assertion" in msg.xml and "EncryptedAssertion" not in msg.xml


def test_a_wrong_key_says_so_and_keeps_the_rest(keys):
    idp, sp_enc, other = keys
    [msg] = inspect(encrypted_response(idp, sp_enc), idp.cert_pem, other.key_pem)
    assert msg.error == "" and any(f"({xmlenc.DECRYPTION_FAILED})" in n for n in msg.encryption)
    assert msg.summary.name_id == "" and [s.value_ok for s in msg.signatures] == [True]


def test_decode_key_option(keys, tmp_path, capsys):
    idp, sp_enc, _ = keys
    (tmp_path / "m.xml").write_bytes(encrypted_response(idp, sp_enc, encryption_key_alg=xmlenc.RSA_OAEP_SHA256))
    (tmp_path / "k.pem").write_bytes(sp_enc.key_pem)
    (tmp_path / "c.pem").write_bytes(idp.cert_pem)
    assert main(["decode", str(tmp_path / "m.xml"), "--cert", str(tmp_path / "c.pem")]) == 0
    out = capsys.readouterr().out
    assert "RSA-OAEP (xmlenc11), digest sha256, MGF1 sha256" in out and "NameID:" not in out
    assert (
        main(["decode", str(tmp_path / "m.xml"), "--key", str(tmp_path / "k.pem"), "--cert", str(tmp_path / "c.pem")])
        == 0
    )
    out = capsys.readouterr().out
    assert "NameID:" in out and "alice" in out and "✔ Assertion #" in out
    assert main(["decode", str(tmp_path / "m.xml"), "--key", str(tmp_path / "c.pem")]) == 2
    assert "not a PEM private key" in capsys.readouterr().err


def test_thousands_of_encrypted_attributes_are_bounded_work(keys, monkeypatch):
    """Anyone can encrypt to the SP's key: the inspector decrypts at most MAX_DECRYPTED of them."""
    from harness.core import inspect_encrypted

    idp, sp_enc, _ = keys
    user = IdPUser("alice", "pw", extra={f"a{i}": "v" for i in range(40)})
    xml = encrypted_response(idp, sp_enc, user, encrypt_attributes=True, attributes=[f"a{i}" for i in range(40)])
    calls = []
    real = inspect_encrypted.xmlenc.decrypt

    def counting(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(inspect_encrypted.xmlenc, "decrypt", counting)
    [msg] = inspect(xml, idp.cert_pem, sp_enc.key_pem)
    assert len(calls) == inspect_encrypted.MAX_DECRYPTED
    assert any("only the first 32 are decrypted" in n for n in msg.encryption)
