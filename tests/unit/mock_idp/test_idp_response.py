"""mock_idp.response: the Response the IdP builds, and the ways each SP setting changes it."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from saml_helpers import Keys

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, issue
from samlkit import codec, ns, xmldsig
from samlkit.safexml import parse

T0 = dt.datetime(2030, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
USER = IdPUser(
    "alice",
    "pw",
    email="alice@corp.test",
    first_name="Alice",
    last_name="Liddell",
    groups=["qa", "ops"],
    extra={"employeeNumber": "E-1"},
)


def A(local: str) -> str:
    return ns.q(ns.SAML, local)


def sp(**kw) -> SPSettings:
    return SPSettings(entity_id="urn:sp", acs_url="https://sp.test/acs", **kw)


def issued(keys: Keys, irt: str | None = "_req", **kw):
    i = issue(
        idp_entity_id="urn:idp",
        sp=sp(**kw),
        user=USER,
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        in_response_to=irt,
        now=T0,
    )
    root = parse(i.xml)
    return i, root, root.find(A("Assertion"))


def test_response_shape(keys: Keys) -> None:
    i, root, a = issued(keys)
    assert root.tag == ns.q(ns.SAMLP, "Response") and root.get("Version") == "2.0"
    assert root.get("Destination") == "https://sp.test/acs" and root.get("InResponseTo") == "_req"
    assert root.get("ID") == i.response_id and a.get("ID") == i.assertion_id
    assert root.findtext(A("Issuer")) == a.findtext(A("Issuer")) == "urn:idp"
    status = root.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusCode')}")
    assert status.get("Value") == ns.STATUS_SUCCESS
    scd = a.find(f"{A('Subject')}/{A('SubjectConfirmation')}/{A('SubjectConfirmationData')}")
    assert scd.get("Recipient") == "https://sp.test/acs" and scd.get("InResponseTo") == "_req"
    assert scd.get("NotOnOrAfter") == "2030-05-01T12:05:00Z"
    cond = a.find(A("Conditions"))
    assert (cond.get("NotBefore"), cond.get("NotOnOrAfter")) == ("2030-05-01T11:59:30Z", "2030-05-01T12:05:00Z")
    assert a.findtext(f".//{A('Audience')}") == "urn:sp"
    assert i.name_id == "alice" and i.b64 == codec.encode_post(i.xml)


def test_unsolicited_has_no_in_response_to(keys: Keys) -> None:
    _, root, a = issued(keys, irt=None)
    assert root.get("InResponseTo") is None
    assert a.find(f".//{A('SubjectConfirmationData')}").get("InResponseTo") is None


def test_attributes_released(keys: Keys) -> None:
    _, _, a = issued(keys, attributes=["uid", "mail", "groups", "employeeNumber", "missing"])
    got = {attr.get("Name"): [v.text for v in attr.findall(A("AttributeValue"))] for attr in a.iter(A("Attribute"))}
    assert got == {"uid": ["alice"], "mail": ["alice@corp.test"], "groups": ["qa", "ops"], "employeeNumber": ["E-1"]}


def test_no_attributes_no_statement(keys: Keys) -> None:
    _, _, a = issued(keys, attributes=[])
    assert a.find(A("AttributeStatement")) is None


@pytest.mark.parametrize(
    ("fmt", "source", "expected"),
    [
        ("unspecified", "username", "alice"),
        ("emailAddress", "mail", "alice@corp.test"),
        ("persistent", "employeeNumber", "E-1"),
        ("unspecified", "missing", "alice"),
    ],
)
def test_nameid(keys: Keys, fmt: str, source: str, expected: str) -> None:
    i, _, a = issued(keys, nameid_format=fmt, nameid_source=source)
    n = a.find(f"{A('Subject')}/{A('NameID')}")
    assert n.text == expected == i.name_id
    assert n.get("Format") == ns.NAMEID_FORMATS[fmt] and n.get("SPNameQualifier") == "urn:sp"


def test_transient_nameid_is_fresh_each_time(keys: Keys) -> None:
    a, _, _ = issued(keys, nameid_format="transient")
    b, _, _ = issued(keys, nameid_format="transient")
    assert a.name_id != b.name_id and a.name_id.startswith("_")


@pytest.mark.parametrize(
    ("sign", "response_signed", "assertion_signed"),
    [("assertion", False, True), ("response", True, False), ("both", True, True), ("none", False, False)],
)
def test_what_is_signed(keys: Keys, sign: str, response_signed: bool, assertion_signed: bool) -> None:
    _, root, a = issued(keys, sign=sign)
    assert (root.find(ns.q(ns.DS, "Signature")) is not None) is response_signed
    assert (a.find(ns.q(ns.DS, "Signature")) is not None) is assertion_signed
    if response_signed:
        xmldsig.verify(root, keys.idp.cert_pem)
    if assertion_signed:
        xmldsig.verify(a, keys.idp.cert_pem)


@pytest.mark.parametrize(
    ("sig_hash", "digest"), [("sha256", None), ("sha512", None), ("sha1", None), ("sha256", "sha1")]
)
def test_algorithms(keys: Keys, sig_hash: str, digest: str | None) -> None:
    _, _, a = issued(keys, sig_hash=sig_hash, digest_hash=digest)
    v = xmldsig.verify(a, keys.idp.cert_pem, allow_sha1=True)
    assert v.sig_alg == f"rsa-{sig_hash}" and v.digest_alg == (digest or sig_hash)


def test_per_sp_signing_key(keys: Keys) -> None:
    _, _, a = issued(keys, key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)
    assert xmldsig.verify(a, keys.ec.cert_pem).sig_alg == "ecdsa-sha256"
    with pytest.raises(xmldsig.SignatureProblem):
        xmldsig.verify(a, keys.idp.cert_pem)


def test_clock_offset_and_lifetime(keys: Keys) -> None:
    _, root, a = issued(keys, clock_offset=600, lifetime=60)
    assert root.get("IssueInstant") == "2030-05-01T12:10:00Z"
    assert a.find(A("Conditions")).get("NotOnOrAfter") == "2030-05-01T12:11:00Z"


def test_mfa_context(keys: Keys) -> None:
    i = issue(
        idp_entity_id="urn:idp",
        sp=sp(),
        user=USER,
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        in_response_to=None,
        authn_context=ns.AC_MFA,
    )
    assert parse(i.xml).findtext(f".//{A('AuthnContextClassRef')}") == ns.AC_MFA


def test_build_unsigned_is_unsigned_and_bendable() -> None:
    resp, a = build_unsigned(idp_entity_id="urn:idp", sp=sp(), user=USER, in_response_to=None, now=T0)
    assert resp.find(f".//{ns.q(ns.DS, 'Signature')}") is None
    assert a.getparent() is resp
    assert etree.tostring(resp).count(b"Assertion ") == 1


def test_ids_are_unique(keys: Keys) -> None:
    ids = set()
    for _ in range(20):
        i, _, _ = issued(keys)
        ids.update([i.response_id, i.assertion_id])
    assert len(ids) == 40


def test_encryption_signs_the_assertion_first_and_the_response_over_the_ciphertext(keys: Keys) -> None:
    from samlkit import xmlenc

    sp = SPSettings(
        entity_id="urn:sp",
        acs_url="https://sp/acs",
        sign="both",
        encrypt_assertion=True,
        encryption_cert_pem=keys.sp_encryption.cert_pem,
        encryption_data_alg=xmlenc.AES128_GCM,
    )
    issued = issue(
        idp_entity_id="urn:idp",
        sp=sp,
        user=USER,
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
        in_response_to=None,
        now=T0,
    )
    root = parse(issued.xml)
    assert root.find(A("Assertion")) is None and issued.name_id == "alice"
    assert xmldsig.verify(root, keys.idp.cert_pem)  # the Response signature covers the EncryptedAssertion
    ea = root.find(A("EncryptedAssertion"))
    assert xmlenc.describe(ea).data_alg == xmlenc.AES128_GCM
    _, assertion, _ = xmlenc.decrypt_into(ea, keys.sp_encryption.key_pem)
    assert assertion.get("ID") == issued.assertion_id and xmldsig.verify(assertion, keys.idp.cert_pem)


def test_encryption_without_a_certificate_is_a_clear_error(keys: Keys) -> None:
    from mock_idp.response import EncryptionNotConfigured

    sp = SPSettings(entity_id="urn:sp", acs_url="https://sp/acs", encrypt_name_id=True)
    with pytest.raises(EncryptionNotConfigured, match="no encryption certificate is set for it"):
        issue(
            idp_entity_id="urn:idp",
            sp=sp,
            user=USER,
            key_pem=keys.idp.key_pem,
            cert_pem=keys.idp.cert_pem,
            in_response_to=None,
        )


def test_each_response_is_its_own_copy_of_the_skeleton() -> None:
    from mock_idp import response

    sp1 = SPSettings(entity_id="urn:sp1", acs_url="https://sp1/acs")
    sp2 = SPSettings(entity_id="urn:sp2", acs_url="https://sp2/acs", nameid_format="transient")
    r1, a1 = response.build_unsigned(
        idp_entity_id="urn:idp", sp=sp1, user=IdPUser("alice", "pw", email="a@x.test"), in_response_to="_q1"
    )
    r2, a2 = response.build_unsigned(idp_entity_id="urn:idp2", sp=sp2, user=IdPUser("bob", "pw"), in_response_to=None)
    assert (r1.get("Destination"), r2.get("Destination")) == ("https://sp1/acs", "https://sp2/acs")
    assert r1.get("InResponseTo") == "_q1" and r2.get("InResponseTo") is None
    assert len({r1.get("ID"), r2.get("ID"), a1.get("ID"), a2.get("ID")}) == 4
    assert a1.getroottree().getroot() is r1 and a2.getroottree().getroot() is r2
    skeleton = response._SKELETON  # never written to: its value slots stay empty, nothing added
    assert skeleton.get("ID") == "" and skeleton.get("InResponseTo") is None
    assert [el.text for el in skeleton.iter()] == [None] * 16
