"""Two trusted certificates during a rollover: each is tried, KeyInfo only orders them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree
from saml_helpers import Keys, keys, subscription

from samlkit import ns, xmldsig
from sp.model import SPConfig
from sp.trust import cert_sha256, pick_for_signature, trusted_by_issuer, trusted_certs, verify


def signed(key_pem: bytes, cert_pem: bytes, *, keyinfo_cert: bytes | None = None, hash_name: str = "sha256"):
    el = etree.Element(ns.q(ns.SAML, "Assertion"), ID="_a1", nsmap={"saml": ns.SAML})
    etree.SubElement(el, ns.q(ns.SAML, "Issuer")).text = "https://idp.test"
    xmldsig.sign(el, key_pem, keyinfo_cert or cert_pem, hash_name=hash_name)
    # As received: parsed from bytes (lxml's find() misses nodes libxmlsec1's templates made in memory).
    return etree.fromstring(etree.tostring(el))


@pytest.fixture
def k() -> Keys:
    return keys()


def test_roles_one_or_two_certificates(k: Keys) -> None:
    assert [c.role for c in trusted_certs(subscription())] == ["only"]
    two = subscription(idp_cert_pem_next=k.ec.cert_pem)
    assert [(c.role, c.pem) for c in trusted_certs(two)] == [("old", k.idp.cert_pem), ("new", k.ec.cert_pem)]
    same = subscription(idp_cert_pem_next=k.idp.cert_pem)
    assert [c.role for c in trusted_certs(same)] == ["only"]
    assert trusted_certs(subscription(idp_cert_pem=b"")) == []
    assert trusted_certs(subscription(idp_cert_pem=b"", idp_cert_pem_next=k.ec.cert_pem)) == []


@pytest.mark.parametrize(("signer", "role"), [("idp", "old"), ("ec", "new")])
def test_either_certificate_of_a_rollover_verifies_and_says_which(k: Keys, signer: str, role: str) -> None:
    kp = getattr(k, signer)
    _, cert = verify(signed(kp.key_pem, kp.cert_pem), subscription(idp_cert_pem_next=k.ec.cert_pem))
    assert cert.role == role and cert.sha256 == cert_sha256(kp.cert_pem)
    assert f"the {role} certificate of the rollover" in cert.describe()


def test_keyinfo_never_supplies_the_key(k: Keys) -> None:
    sub = subscription(idp_cert_pem_next=k.ec.cert_pem)
    # A foreign key whose KeyInfo names the trusted new certificate: refused like any forgery.
    forged = signed(k.foreign.key_pem, k.foreign.cert_pem, keyinfo_cert=k.ec.cert_pem)
    with pytest.raises(xmldsig.SignatureProblem) as err:
        verify(forged, sub)
    assert err.value.code == "signature-invalid"
    # The trusted new key with a foreign certificate in KeyInfo: verified by the trusted certificate.
    _, cert = verify(signed(k.ec.key_pem, k.ec.cert_pem, keyinfo_cert=k.foreign.cert_pem), sub)
    assert cert.role == "new"


def test_a_refusal_that_no_key_changes_is_given_at_once(k: Keys) -> None:
    sub = subscription(idp_cert_pem_next=k.ec.cert_pem)
    with pytest.raises(xmldsig.SignatureProblem) as err:
        verify(signed(k.ec.key_pem, k.ec.cert_pem, hash_name="sha1"), sub)
    assert err.value.code == "weak-algorithm"
    with pytest.raises(xmldsig.SignatureProblem) as err:
        verify(signed(k.idp.key_pem, k.idp.cert_pem), subscription(idp_cert_pem=b""))
    assert err.value.code == "trust-misconfigured"


def test_the_trace_lookup_lists_every_trusted_certificate_and_picks_keyinfos(k: Keys) -> None:
    cfg = SPConfig(
        base_url="http://sp.test",
        subscriptions=[subscription(idp_cert_pem_next=k.ec.cert_pem), replace(subscription(), idm_key="2")],
    )
    lookup = trusted_by_issuer(cfg)
    assert lookup(subscription().idp_entity_id) == [k.idp.cert_pem, k.ec.cert_pem]
    assert lookup("urn:nobody") is None
    assert pick_for_signature(signed(k.ec.key_pem, k.ec.cert_pem), [k.idp.cert_pem, k.ec.cert_pem]) == k.ec.cert_pem
    foreign = signed(k.foreign.key_pem, k.foreign.cert_pem)
    assert pick_for_signature(foreign, [k.idp.cert_pem, k.ec.cert_pem]) == k.idp.cert_pem
