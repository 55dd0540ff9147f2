"""mock_idp.logout_request: the NameID in clear, or an EncryptedID for SPs that get encrypted NameIDs."""

from __future__ import annotations

import pytest
from saml_helpers import keys

from mock_idp.logout_request import encrypts_name_id, logout_request_for
from mock_idp.model import SPSettings
from mock_idp.sessions import Participant
from samlkit import logout, ns, xmlenc

P = Participant("https://sp.test", "alice", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "_s1")


def _sp(**kw) -> SPSettings:
    return SPSettings(entity_id="https://sp.test", acs_url="https://sp.test/acs", slo_url="https://sp.test/slo", **kw)


def test_the_name_id_is_in_clear_unless_the_sp_gets_encrypted_ones() -> None:
    cert = keys().sp_encryption.cert_pem
    assert not encrypts_name_id(_sp())
    assert not encrypts_name_id(_sp(encrypt_assertion=True))  # no certificate: nothing to encrypt to
    assert encrypts_name_id(_sp(encrypt_assertion=True, encryption_cert_pem=cert))
    assert encrypts_name_id(_sp(encrypt_name_id=True))
    view = logout.read_request(logout_request_for("idp", _sp(), P))
    assert (view.name_id, view.session_indexes, view.destination) == ("alice", ["_s1"], "https://sp.test/slo")


@pytest.mark.parametrize("setting", [{"encrypt_name_id": True}, {"encrypt_assertion": True}])
def test_an_encrypted_id_decrypts_to_the_participants_name_id(setting) -> None:
    k = keys().sp_encryption
    root = logout_request_for("idp", _sp(encryption_cert_pem=k.cert_pem, **setting), P)
    assert root.find(ns.q(ns.SAML, "NameID")) is None
    name_id = xmlenc.decrypt(root.find(ns.q(ns.SAML, "EncryptedID")), k.key_pem)
    assert logout.read_name_id(name_id) == ("alice", P.name_id_format)
    assert logout.read_request(root).session_indexes == ["_s1"]  # the SessionIndex stays in clear


def test_encrypted_name_ids_without_a_certificate_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="no encryption certificate"):
        logout_request_for("idp", _sp(encrypt_name_id=True), P)
