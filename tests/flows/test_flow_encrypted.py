"""Encrypted assertions end to end, in-process: the mock IdP signs then encrypts to the
subscription's key; the SP decrypts, then runs every check on the decrypted Assertion.

Policies (accept / plain / require), RSA 1.5 refused by default, EncryptedID and
EncryptedAttribute, and decryption failures that all look the same.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from saml_helpers import IDM_KEY, World, assert_refused, keys, make_world, reason, subscription

from samlkit import codec, ns, xmlenc

pytestmark = pytest.mark.usefixtures("no_process_spawned")

ENC_SUB = {"encryption_key_pem": None, "encryption_cert_pem": None}  # filled per test from keys()


def enc_sub(**more) -> dict:
    k = keys().sp_encryption
    return {"encryption_key_pem": k.key_pem, "encryption_cert_pem": k.cert_pem, **more}


def enc_idp(**more) -> dict:
    return {"encrypt_assertion": True, "encryption_cert_pem": keys().sp_encryption.cert_pem, **more}


@pytest.fixture
def eworld(tmp_path) -> World:
    w = make_world(tmp_path / "enc", sub=enc_sub(), idp_sp=enc_idp(sign="both"))
    yield w
    w.close()


def login(world: World, user: str = "alice", password: str | None = None):
    b = world.browser()
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    done = b.sign_in(page, user, password or f"{user}-pw")
    return b, done, b.deliver(done)


def posted_xml(done) -> etree._Element:
    from saml_helpers import saml_form

    return etree.fromstring(codec.decode_post(saml_form(done.get_data(as_text=True)).fields["SAMLResponse"]))


def checks(world: World) -> list[dict]:
    return world.verdicts()[-1].checks


@pytest.mark.parametrize(
    ("data_alg", "key_alg"),
    [
        (xmlenc.AES256_GCM, xmlenc.RSA_OAEP),
        (xmlenc.AES128_GCM, xmlenc.RSA_OAEP_SHA256),
        (xmlenc.AES256_CBC, xmlenc.RSA_OAEP_SHA256),
        (xmlenc.AES128_CBC, xmlenc.RSA_OAEP),
    ],
)
def test_sp_initiated_login_with_an_encrypted_assertion(tmp_path, data_alg, key_alg):
    world = make_world(
        tmp_path,
        sub=enc_sub(),
        idp_sp=enc_idp(sign="both", encryption_data_alg=data_alg, encryption_key_alg=key_alg),
    )
    b, done, acs = login(world)
    root = posted_xml(done)
    assert root.find(ns.q(ns.SAML, "Assertion")) is None and root.find(ns.q(ns.SAML, "EncryptedAssertion")) is not None
    assert b"alice@corp.test" not in etree.tostring(root)  # the attributes travel encrypted
    assert acs.status_code == 303, reason(acs)
    assert b.whoami()[1]["login"] == "alice"
    names = [c.name for c in checks(world) if c.ok]
    # The Response signature is checked over the encrypted form, then the Assertion's once decrypted.
    assert names.index("Response signature") < names.index("Decryption") < names.index("Assertion signature")
    detail = next(c.detail for c in checks(world) if c.name == "Decryption")
    assert data_alg in detail and key_alg in detail
    world.close()


def test_idp_initiated_and_plain_both_accepted_by_default(eworld: World):
    b = eworld.browser()
    assert b.post_acs(eworld.forge()).status_code == 303
    assert b.post_acs(eworld.forge(encrypt_assertion=False)).status_code == 303


def test_require_encrypted_refuses_a_plain_assertion(tmp_path):
    world = make_world(tmp_path, sub=enc_sub(assertion_encryption="require"), idp_sp=enc_idp())
    assert_refused(world.browser().post_acs(world.forge(encrypt_assertion=False)), "encrypted-assertion-required")
    assert world.browser().post_acs(world.forge()).status_code == 303
    world.close()


@pytest.mark.parametrize(
    "sub",
    [{"assertion_encryption": "plain"}, {"encryption_key_pem": b"", "encryption_cert_pem": b""}],
    ids=["plain-only policy", "no key"],
)
def test_an_encrypted_assertion_without_a_key_or_against_policy_is_unsupported(tmp_path, sub):
    world = make_world(tmp_path, sub=enc_sub(**sub), idp_sp=enc_idp())
    assert_refused(world.browser().post_acs(world.forge()), "encrypted-assertion-unsupported")
    world.close()


def test_rsa_1_5_is_refused_by_default_and_accepted_when_allowed(tmp_path):
    world = make_world(tmp_path, sub=enc_sub(), idp_sp=enc_idp(encryption_key_alg=xmlenc.RSA_1_5))
    assert_refused(world.browser().post_acs(world.forge()), "encryption-weak-algorithm")
    world.close()
    world = make_world(
        tmp_path / "2", sub=enc_sub(encryption_allow_rsa15=True), idp_sp=enc_idp(encryption_key_alg="rsa-1_5")
    )
    assert world.browser().post_acs(world.forge()).status_code == 303
    world.close()


def _recipher(which: int) -> Callable[[etree._Element, etree._Element], None]:
    """Flip the last byte of the EncryptedKey's (0) or the EncryptedData's (1) CipherValue."""

    def bend(resp: etree._Element, _a: etree._Element) -> None:
        node = list(resp.iter(ns.q(xmlenc.XENC, "CipherValue")))[which]
        raw = bytearray(base64.b64decode("".join(node.text.split())))
        raw[-1] ^= 1
        node.text = base64.b64encode(bytes(raw)).decode()

    return bend


def test_every_decryption_failure_is_the_same_refusal(eworld: World):
    """Wrong key, a broken RSA block, a bad GCM tag, bad CBC padding: one status, code, page."""
    foreign = keys().foreign.cert_pem
    values = {
        "wrong key": eworld.forge(sign="assertion", encryption_cert_pem=foreign),
        "RSA block": eworld.forge(sign="assertion", after_sign=_recipher(0)),
        "GCM tag": eworld.forge(sign="assertion", after_sign=_recipher(1)),
        "CBC padding": eworld.forge(sign="assertion", encryption_data_alg="aes128-cbc", after_sign=_recipher(1)),
    }
    seen = {}
    for name, value in values.items():
        r = eworld.browser().post_acs(value)
        assert_refused(r, "decryption-failed")
        seen[name] = (r.status_code, r.get_data(as_text=True), [c for c in checks(eworld)])
    first = next(iter(seen.values()))
    assert all(v == first for v in seen.values()), {k: v[0] for k, v in seen.items()}


def test_an_unsigned_assertion_inside_an_encrypted_one_is_refused(eworld: World):
    """Encryption is not authentication: anyone can encrypt to the SP's public key."""
    assert_refused(eworld.browser().post_acs(eworld.forge(sign="none")), "signature-missing")
    assert_refused(eworld.browser().post_acs(eworld.forge(sign="response")), "signature-missing")


def test_a_plain_forged_assertion_beside_the_encrypted_one_is_refused(eworld: World):
    def add_forged(resp: etree._Element, _a: etree._Element) -> None:
        forged = etree.SubElement(resp, ns.q(ns.SAML, "Assertion"), ID="_forged", Version="2.0")
        etree.SubElement(forged, ns.q(ns.SAML, "Issuer")).text = eworld.idp_config.entity_id

    assert_refused(eworld.browser().post_acs(eworld.forge(sign="assertion", after_sign=add_forged)), "assertion-count")


def test_nested_or_doubled_encrypted_assertions_are_refused(eworld: World):
    def twice(resp: etree._Element, _a: etree._Element) -> None:
        resp.append(copy.deepcopy(resp.find(ns.q(ns.SAML, "EncryptedAssertion"))))

    assert_refused(eworld.browser().post_acs(eworld.forge(sign="assertion", after_sign=twice)), "assertion-count")


def test_encrypted_name_id_and_attributes_are_read_from_the_signed_assertion(tmp_path):
    world = make_world(
        tmp_path,
        sub=enc_sub(identity_source="attribute:mail", mapping_mode="login"),
        idp_sp=enc_idp(encrypt_assertion=False, encrypt_name_id=True, encrypt_attributes=True),
    )
    value = world.forge()
    xml = codec.decode_post(value)
    assert b"EncryptedID" in xml and b"EncryptedAttribute" in xml and b"alice@corp.test" not in xml
    world.sp_config.subscriptions[0].accounts[0].login = "alice@corp.test"
    r = world.browser().post_acs(value)
    assert r.status_code == 303, reason(r)
    assert any(c.name == "Decryption" and c.ok for c in checks(world))
    world.close()


def test_the_metadata_publishes_the_encryption_key(eworld: World):
    r = eworld.browser().sp.get("/metadata", query_string={"idm_key": IDM_KEY})
    root = etree.fromstring(r.get_data())
    kd = [k for k in root.iter(ns.q(ns.MD, "KeyDescriptor")) if k.get("use") == "encryption"]
    assert len(kd) == 1
    cert = kd[0].findtext(f".//{ns.q(ns.DS, 'X509Certificate')}")
    assert cert and cert in keys().sp_encryption.cert_pem.decode().replace("\n", "")
    methods = [m.get("Algorithm") for m in kd[0].findall(ns.q(ns.MD, "EncryptionMethod"))]
    assert xmlenc.DATA_ALGS[xmlenc.AES256_GCM] in methods and xmlenc.KEY_ALGS[xmlenc.RSA_1_5] not in methods


def test_two_subscriptions_trusting_one_idp_each_decrypt_with_their_own_key(tmp_path):
    """The first candidate's failed decryption must leave the message intact for the second."""
    other = subscription(idm_key="2002", name="Other", **enc_sub())
    world = make_world(
        tmp_path,
        sub={"encryption_key_pem": keys().foreign.key_pem, "encryption_cert_pem": keys().foreign.cert_pem},
        extra_subs=[other],
        idp_sp=enc_idp(sign="both"),
    )
    r = world.browser().post_acs(world.forge())
    assert r.status_code == 303, reason(r)
    assert world.verdicts()[-1].subscription == "2002"
    world.close()


# -- hostile edits of a genuine encrypted Response: never a 5xx, never a session for anyone else ----

_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["drop", "dup", "attr", "text", "move"]),
        st.integers(min_value=0, max_value=40),
        st.sampled_from(
            [
                "",
                "#_x",
                "http://127.0.0.1:9/x",
                xmlenc.XENC + "tripledes-cbc",
                xmlenc.XENC11 + "rsa-oaep",
                "AAAA",
                "!!",
                "x" * 3000,
            ]
        ),
    ),
    min_size=1,
    max_size=3,
)


def _apply(resp: etree._Element, edits: list[tuple[str, int, str]]) -> None:
    ea = resp.find(ns.q(ns.SAML, "EncryptedAssertion"))
    for op, i, value in edits:
        nodes = [el for el in ea.iter() if isinstance(el.tag, str)]
        el = nodes[i % len(nodes)]
        parent = el.getparent()
        if op == "drop" and parent is not None:
            parent.remove(el)
        elif op == "dup" and parent is not None:
            parent.append(copy.deepcopy(el))
        elif op == "attr":
            el.set("Algorithm" if "Method" in el.tag else "URI", value)
        elif op == "text":
            el.text = value
        elif op == "move" and parent is not None and parent.getparent() is not None:
            parent.getparent().append(el)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS)
def test_hostile_edits_of_the_encrypted_assertion_are_refused_in_words(eworld: World, edits) -> None:
    b = eworld.browser()
    r = b.post_acs(eworld.forge(sign="assertion", after_sign=lambda resp, _a: _apply(resp, edits)))
    if r.status_code == 303:  # an edit the ciphertext does not depend on (a KeyInfo certificate...): still alice
        assert b.whoami()[1]["login"] == "alice"
        return
    assert 400 <= r.status_code < 500 and reason(r), (r.status_code, edits)
