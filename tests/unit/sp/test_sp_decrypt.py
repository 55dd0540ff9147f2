"""sp.decrypt inside Validator: the policy, the Response signature checked over the encrypted form
(once), decryption into a copy that another candidate subscription never sees, and the codes."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace

import pytest
from lxml import etree
from saml_helpers import IDP_ENTITY, keys, subscription

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, sign_as_configured
from samlkit import codec, ns, xmlenc
from sp.refusal import Refusal
from sp.validate import Validator

ACS = "https://sp.test/IdM/saml2/"
SP_ENTITY = "urn:test:sp"
T0 = dt.datetime(2030, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def value(*, bend=None, **sp_kw) -> str:
    settings = {"encrypt_assertion": True, "encryption_cert_pem": keys().sp_encryption.cert_pem, **sp_kw}
    sp = SPSettings(entity_id=SP_ENTITY, acs_url=ACS, **settings)
    resp, a = build_unsigned(idp_entity_id=IDP_ENTITY, sp=sp, user=IdPUser("alice", "pw"), in_response_to=None, now=T0)
    sign_as_configured(resp, a, sp, keys().idp.key_pem, keys().idp.cert_pem)
    if bend:
        bend(resp)
    return codec.encode_post(etree.tostring(resp))


def validator(**sub_kw) -> Validator:
    k = keys().sp_encryption
    sub = subscription(**{"encryption_key_pem": k.key_pem, "encryption_cert_pem": k.cert_pem, **sub_kw})
    return Validator(
        sub=sub, sp_entity_id=SP_ENTITY, acs_url=ACS, skew=60, take_request=lambda _id: None, browser=None, now=T0
    )


def refused(v: Validator, b64: str) -> Refusal:
    with pytest.raises(Refusal) as err:
        v.run(b64)
    return err.value


def test_decrypted_then_every_check_with_the_response_signature_checked_once():
    v = validator()
    identity = v.run(value(sign="both"))
    assert identity.name_id == "alice"
    names = [c.name for c in v.checks]
    assert names.count("Response signature") == 1 and names.count("Assertion signature") == 1
    assert names.index("Response signature") < names.index("Decryption") < names.index("Assertion signature")


def test_a_tampered_ciphertext_under_a_response_signature_fails_that_signature_first():
    def flip(resp: etree._Element) -> None:
        node = list(resp.iter(ns.q(xmlenc.XENC, "CipherValue")))[1]
        raw = bytearray(base64.b64decode("".join(node.text.split())))
        raw[-1] ^= 1
        node.text = base64.b64encode(bytes(raw)).decode()

    assert refused(validator(), value(sign="both", bend=flip)).code == "signature-invalid"


@pytest.mark.parametrize(
    ("sub_kw", "sp_kw", "code"),
    [
        ({"assertion_encryption": "require"}, {"encrypt_assertion": False}, "encrypted-assertion-required"),
        ({"assertion_encryption": "plain"}, {}, "encrypted-assertion-unsupported"),
        ({"encryption_key_pem": b""}, {}, "encrypted-assertion-unsupported"),
        ({"encryption_key_pem": b"not a key"}, {}, "trust-misconfigured"),
        ({}, {"encryption_key_alg": "rsa-1_5"}, "encryption-weak-algorithm"),
        ({}, {"encrypt_assertion": False, "encrypt_name_id": True}, None),  # EncryptedID in a plain Assertion
    ],
)
def test_policy_and_key_problems(sub_kw, sp_kw, code):
    v = validator(**sub_kw)
    b64 = value(**sp_kw)
    if code is None:
        assert v.run(b64).name_id == "alice"
    else:
        assert refused(v, b64).code == code


def test_the_message_is_left_as_it_arrived_for_the_next_candidate():
    b64 = value(sign="both")
    other = validator(encryption_key_pem=keys().foreign.key_pem)
    root = other.read(b64)
    with pytest.raises(Refusal):
        other.check_trust(root)
    assert root.find(ns.q(ns.SAML, "EncryptedAssertion")) is not None
    good = replace(other.sub, encryption_key_pem=keys().sp_encryption.key_pem)
    assert other.for_subscription(good).check_trust(root).tag == ns.q(ns.SAML, "Assertion")


def test_too_many_encrypted_attributes_are_refused_before_decrypting_them(monkeypatch):
    from sp import decrypt

    monkeypatch.setattr(decrypt, "MAX_INNER", 2)
    sp = SPSettings(
        entity_id=SP_ENTITY,
        acs_url=ACS,
        encrypt_attributes=True,
        encryption_cert_pem=keys().sp_encryption.cert_pem,
        attributes=["uid", "mail", "givenName"],
    )
    user = IdPUser("alice", "pw", email="a@corp.test", first_name="Alice")
    resp, a = build_unsigned(idp_entity_id=IDP_ENTITY, sp=sp, user=user, in_response_to=None, now=T0)
    sign_as_configured(resp, a, sp, keys().idp.key_pem, keys().idp.cert_pem)
    r = refused(validator(), codec.encode_post(etree.tostring(resp)))
    assert r.code == "encrypted-malformed" and "at most 2" in r.message
