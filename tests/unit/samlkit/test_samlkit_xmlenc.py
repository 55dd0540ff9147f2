"""samlkit.xmlenc: encrypted assertions made and read in-process, with an allow-list before libxmlsec1.

Decryption failures must all look alike (no padding oracle): the same code and message for a
wrong key, a broken RSA block, a session key of the wrong size, a bad AES block or GCM tag and
plaintext that is not an Assertion. Some messages here are encrypted by hand with `cryptography`,
an implementation independent of libxmlsec1.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from lxml import etree
from saml_helpers import keys

from harness.core.certs import KeyPair, make_keypair
from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned
from samlkit import ns, xmldsig, xmlenc, xmlenc_check
from samlkit.safexml import parse

XENC = xmlenc.XENC
SAML_A = ns.q(ns.SAML, "Assertion")
SAML_EA = ns.q(ns.SAML, "EncryptedAssertion")


@pytest.fixture(scope="module")
def sp_key() -> KeyPair:
    return make_keypair("sp-encryption.test")


def signed_response() -> etree._Element:
    resp, a = build_unsigned(
        idp_entity_id="urn:idp",
        sp=SPSettings(entity_id="urn:sp", acs_url="https://sp/acs"),
        user=IdPUser("alice", "pw", email="alice@corp.test"),
        in_response_to=None,
    )
    xmldsig.sign(a, keys().idp.key_pem, keys().idp.cert_pem)
    return parse(etree.tostring(resp))


def encrypted(sp_key: KeyPair, data_alg: str = xmlenc.AES256_GCM, key_alg: str = xmlenc.RSA_OAEP) -> etree._Element:
    """A Response whose signed Assertion is encrypted to `sp_key`, reparsed as the SP sees it."""
    root = signed_response()
    xmlenc.encrypt_assertion(root.find(SAML_A), sp_key.cert_pem, data_alg, key_alg)
    return parse(etree.tostring(root))


def failure(ea: etree._Element, key_pem: bytes, **kw) -> xmlenc.EncryptionProblem:
    with pytest.raises(xmlenc.EncryptionProblem) as err:
        xmlenc.decrypt_assertion(ea, key_pem, **kw)
    return err.value


@pytest.mark.parametrize("data_alg", list(xmlenc.DATA_ALGS))
@pytest.mark.parametrize("key_alg", list(xmlenc.KEY_ALGS))
def test_round_trip_keeps_the_signature_and_replaces_in_place(sp_key, data_alg, key_alg):
    root = encrypted(sp_key, data_alg, key_alg)
    assert root.find(SAML_A) is None
    ea = root.find(SAML_EA)
    info = xmlenc.describe(ea)
    assert (info.data_alg, info.key_alg, info.weak) == (data_alg, key_alg, key_alg == xmlenc.RSA_1_5)
    a = xmlenc.decrypt_assertion(ea, sp_key.key_pem, allow_rsa15=True)
    assert a.getparent() is None and root.find(SAML_EA) is ea
    assert xmldsig.verify(a, keys().idp.cert_pem).element_id == a.get("ID")
    new_root, inside, info2 = xmlenc.decrypt_into(ea, sp_key.key_pem, allow_rsa15=True)
    assert inside.getparent() is new_root and new_root.find(SAML_EA) is None and root.find(SAML_EA) is ea
    assert info2 == info and xmldsig.verify(inside, keys().idp.cert_pem)


def test_the_encrypted_key_names_the_recipient_certificate(sp_key):
    ea = encrypted(sp_key).find(SAML_EA)
    der = x509.load_pem_x509_certificate(sp_key.cert_pem).public_bytes(Encoding.DER)
    assert xmlenc.describe(ea).recipient_cert_sha256 == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize(
    ("key_alg", "oaep"),
    [
        (xmlenc.RSA_OAEP, rsa_padding.OAEP(mgf=rsa_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)),
        (
            xmlenc.RSA_OAEP_SHA256,
            rsa_padding.OAEP(mgf=rsa_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        ),
    ],
)
def test_key_transport_is_what_it_says_checked_with_cryptography(sp_key, key_alg, oaep):
    """An independent RSA implementation unwraps the session key and AES-GCM decrypts the Assertion."""
    ea = encrypted(sp_key, xmlenc.AES256_GCM, key_alg).find(SAML_EA)
    values = [base64.b64decode("".join(v.text.split())) for v in ea.iter(ns.q(XENC, "CipherValue"))]
    key_cipher, data_cipher = values
    private = load_pem_private_key(sp_key.key_pem, password=None)
    session = private.decrypt(key_cipher, oaep)
    plain = AESGCM(session).decrypt(data_cipher[:12], data_cipher[12:], None)
    assert etree.fromstring(plain).tag == SAML_A


# -- an independent encryptor --------------------------------------------------------------


def hand_encrypted(
    plaintext: bytes, cert_pem: bytes, *, session: bytes | None = None, cbc: bool = False
) -> etree._Element:
    """An EncryptedAssertion made with `cryptography` alone (RSA-OAEP-MGF1P, AES-256-GCM or -CBC)."""
    session = session if session is not None else os.urandom(32)
    public = x509.load_pem_x509_certificate(cert_pem).public_key()
    wrapped = public.encrypt(
        session, rsa_padding.OAEP(mgf=rsa_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    if cbc:
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        enc = Cipher(algorithms.AES(session[:32]), modes.CBC(iv)).encryptor()
        data = iv + enc.update(padder.update(plaintext) + padder.finalize()) + enc.finalize()
        alg = xmlenc.DATA_ALGS[xmlenc.AES256_CBC]
    else:
        iv = os.urandom(12)
        data = iv + AESGCM(session[:32].ljust(32, b"\0")).encrypt(iv, plaintext, None)
        alg = xmlenc.DATA_ALGS[xmlenc.AES256_GCM]
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    xml = (
        f'<saml:EncryptedAssertion xmlns:saml="{ns.SAML}"><xenc:EncryptedData xmlns:xenc="{XENC}" '
        f'Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{alg}"/>'
        f'<ds:KeyInfo xmlns:ds="{ns.DS}"><xenc:EncryptedKey><xenc:EncryptionMethod '
        f'Algorithm="{xmlenc.KEY_ALGS[xmlenc.RSA_OAEP]}"/><xenc:CipherData><xenc:CipherValue>{b64(wrapped)}'
        "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>"
        f"{b64(data)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"
    )
    return parse(xml.encode())


def plain_assertion() -> bytes:
    return etree.tostring(signed_response().find(SAML_A))


@pytest.mark.parametrize("cbc", [False, True])
def test_an_independently_encrypted_assertion_decrypts(sp_key, cbc):
    a = xmlenc.decrypt_assertion(hand_encrypted(plain_assertion(), sp_key.cert_pem, cbc=cbc), sp_key.key_pem)
    assert a.tag == SAML_A and xmldsig.verify(a, keys().idp.cert_pem)


def test_every_decryption_failure_is_the_same_refusal(sp_key):
    """Wrong key, broken RSA block, wrong-size session key, bad GCM tag, bad CBC padding, wrong
    element, unsafe plaintext: one code and one message, so nothing can be learnt from which."""
    good = encrypted(sp_key).find(SAML_EA)

    def flipped(which: int) -> etree._Element:
        ea = copy.deepcopy(good)
        node = list(ea.iter(ns.q(XENC, "CipherValue")))[which]
        raw = bytearray(base64.b64decode("".join(node.text.split())))
        raw[-1] ^= 1
        node.text = base64.b64encode(bytes(raw)).decode()
        return ea

    cases = {
        "wrong key": (copy.deepcopy(good), keys().foreign.key_pem),
        "RSA block": (flipped(0), sp_key.key_pem),
        "GCM tag": (flipped(1), sp_key.key_pem),
        "session key size": (hand_encrypted(plain_assertion(), sp_key.cert_pem, session=os.urandom(5)), sp_key.key_pem),
        "CBC padding": (hand_encrypted(b"<saml:Assertion", sp_key.cert_pem, cbc=True), sp_key.key_pem),
        "not an Assertion": (
            hand_encrypted(f'<saml:NameID xmlns:saml="{ns.SAML}">x</saml:NameID>'.encode(), sp_key.cert_pem),
            sp_key.key_pem,
        ),
        "two elements": (hand_encrypted(plain_assertion() * 2, sp_key.cert_pem), sp_key.key_pem),
        "DOCTYPE": (hand_encrypted(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', sp_key.cert_pem), sp_key.key_pem),
        "not XML": (hand_encrypted(b"\xff\xfe garbage", sp_key.cert_pem), sp_key.key_pem),
    }
    seen = {name: (p.code, p.message, str(p)) for name, (ea, key) in cases.items() for p in [failure(ea, key)]}
    # The SP's way: the plaintext spliced into the Response (a second element beside it is caught there).
    seen |= {f"{name} in place": _failure_in_place(ea, key) for name, (ea, key) in cases.items()}
    assert set(seen.values()) == {(xmlenc.DECRYPTION_FAILED, xmlenc.FAILED_MESSAGE, xmlenc.FAILED_MESSAGE)}, seen


def _failure_in_place(ea: etree._Element, key_pem: bytes) -> tuple[str, str, str]:
    root = signed_response()
    root.replace(root.find(SAML_A), copy.deepcopy(ea))
    root = parse(etree.tostring(root))
    with pytest.raises(xmlenc.EncryptionProblem) as err:
        xmlenc.decrypt_into(root.find(SAML_EA), key_pem)
    return err.value.code, err.value.message, str(err.value)


def test_rsa_1_5_is_refused_unless_allowed(sp_key):
    ea = encrypted(sp_key, key_alg=xmlenc.RSA_1_5).find(SAML_EA)
    assert failure(copy.deepcopy(ea), sp_key.key_pem).code == "encryption-weak-algorithm"
    assert xmlenc.decrypt_assertion(ea, sp_key.key_pem, allow_rsa15=True).tag == SAML_A


def _bend(sp_key: KeyPair, change) -> xmlenc.EncryptionProblem:
    ea = encrypted(sp_key).find(SAML_EA)
    change(ea)
    return failure(ea, sp_key.key_pem)


def _data(ea):
    return ea.find(ns.q(XENC, "EncryptedData"))


def _key(ea):
    return next(ea.iter(ns.q(XENC, "EncryptedKey")))


def _set_alg(el, uri):
    el.find(ns.q(XENC, "EncryptionMethod")).set("Algorithm", uri)


@pytest.mark.parametrize(
    ("name", "change", "code"),
    [
        ("3DES", lambda ea: _set_alg(_data(ea), XENC + "tripledes-cbc"), "encryption-algorithm-unsupported"),
        ("AES key wrap", lambda ea: _set_alg(_key(ea), XENC + "kw-aes128"), "encryption-algorithm-unsupported"),
        (
            "OAEP params",
            lambda ea: etree.SubElement(_key(ea).find(ns.q(XENC, "EncryptionMethod")), ns.q(XENC, "OAEPparams")),
            "encryption-algorithm-unsupported",
        ),
        (
            "RetrievalMethod out",
            lambda ea: etree.SubElement(
                _data(ea).find(ns.q(ns.DS, "KeyInfo")), ns.q(ns.DS, "RetrievalMethod"), URI="file:///dev/zero"
            ),
            "encrypted-malformed",
        ),
        (
            "CipherReference",
            lambda ea: (
                _data(ea)
                .find(ns.q(XENC, "CipherData"))
                .__setitem__(0, etree.Element(ns.q(XENC, "CipherReference"), URI="http://evil.test/x"))
            ),
            "encrypted-malformed",
        ),
        (
            "nested EncryptedData",
            lambda ea: _key(ea).find(ns.q(ns.DS, "KeyInfo")).append(copy.deepcopy(_data(ea))),
            "encrypted-malformed",
        ),
        ("two EncryptedKeys", lambda ea: ea.append(copy.deepcopy(_key(ea))), "encrypted-malformed"),
        ("no EncryptedKey", lambda ea: _data(ea).remove(_data(ea).find(ns.q(ns.DS, "KeyInfo"))), "encrypted-malformed"),
        ("two EncryptedData", lambda ea: ea.append(copy.deepcopy(_data(ea))), "encrypted-malformed"),
        ("content type", lambda ea: _data(ea).set("Type", XENC + "Content"), "encrypted-malformed"),
        (
            "not base64",
            lambda ea: setattr(_data(ea).find(f"{ns.q(XENC, 'CipherData')}/{ns.q(XENC, 'CipherValue')}"), "text", "!!"),
            "encrypted-malformed",
        ),
        (
            "oversize key",
            lambda ea: setattr(
                _key(ea).find(f"{ns.q(XENC, 'CipherData')}/{ns.q(XENC, 'CipherValue')}"), "text", "A" * 4096
            ),
            "encrypted-malformed",
        ),
    ],
)
def test_refused_before_libxmlsec1_runs(sp_key, name, change, code):
    assert _bend(sp_key, change).code == code, name


def test_oversize_data_is_refused(sp_key, monkeypatch):
    monkeypatch.setattr(xmlenc_check, "MAX_CIPHER_BYTES", 100)
    assert failure(encrypted(sp_key).find(SAML_EA), sp_key.key_pem).code == "encrypted-malformed"


def test_a_sibling_encrypted_key_named_by_a_local_retrieval_method_is_read(sp_key):
    ea = encrypted(sp_key).find(SAML_EA)
    key = _key(ea)
    key.set("Id", "_k1")
    ki = _data(ea).find(ns.q(ns.DS, "KeyInfo"))
    ki.remove(key)
    etree.SubElement(ki, ns.q(ns.DS, "RetrievalMethod"), URI="#_k1", Type=XENC + "EncryptedKey")
    ea.append(key)
    assert xmlenc.decrypt_assertion(ea, sp_key.key_pem).tag == SAML_A


def test_encrypted_id_and_attribute_round_trip(sp_key):
    root = signed_response()
    a = root.find(SAML_A)
    name_id = a.find(f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}")
    attr = a.find(f"{ns.q(ns.SAML, 'AttributeStatement')}/{ns.q(ns.SAML, 'Attribute')}")
    eid = xmlenc.encrypt_name_id(name_id, sp_key.cert_pem)
    eattr = xmlenc.encrypt_attribute(attr, sp_key.cert_pem, xmlenc.AES128_CBC, xmlenc.RSA_OAEP_SHA256)
    assert eid.tag == ns.q(ns.SAML, "EncryptedID") and eid.getparent().tag == ns.q(ns.SAML, "Subject")
    root = parse(etree.tostring(root))
    eid = next(root.iter(ns.q(ns.SAML, "EncryptedID")))
    assert xmlenc.decrypt(eid, sp_key.key_pem).text == "alice"
    eattr = next(root.iter(ns.q(ns.SAML, "EncryptedAttribute")))
    assert xmlenc.decrypt(eattr, sp_key.key_pem).get("Name") == "uid"


def test_bad_inputs_raise_value_errors(sp_key):
    a = signed_response().find(SAML_A)
    with pytest.raises(ValueError, match="unknown data encryption"):
        xmlenc.encrypt_assertion(a, sp_key.cert_pem, "des-cbc")
    with pytest.raises(ValueError, match="unknown key transport"):
        xmlenc.encrypt_assertion(a, sp_key.cert_pem, key_alg="rsa-9")
    with pytest.raises(ValueError, match="certificate"):
        xmlenc.encrypt_assertion(a, b"not a pem")
    with pytest.raises(ValueError, match="private key"):
        xmlenc.decrypt_assertion(encrypted(sp_key).find(SAML_EA), b"not a pem")


def test_the_plaintexts_own_prefixes_survive_so_its_signature_verifies(sp_key):
    """pysaml2 writes the Assertion with prefixes of its own (encas2:) under a Response that binds the
    same namespace to another (ns1:). lxml, moving an element into a tree, renames it to the
    ancestors' prefix, which changes exclusive c14n and broke the signature: decrypt_into splices
    the plaintext as written instead."""
    resp = signed_response()
    a = resp.find(SAML_A)
    text = etree.tostring(a).replace(b"saml:", b"encas2:").replace(b"xmlns:saml=", b"xmlns:encas2=")
    own = parse(text)  # the same Assertion under other prefixes, signed again in that form
    for sig in own.findall(ns.q(ns.DS, "Signature")):
        own.remove(sig)
    xmldsig.sign(own, keys().idp.key_pem, keys().idp.cert_pem)
    resp.replace(a, etree.Element("placeholder"))
    resp = parse(etree.tostring(resp).replace(b"<placeholder/>", etree.tostring(own)))
    own = resp.find(SAML_A)
    assert own.prefix == "encas2" and xmldsig.verify(own, keys().idp.cert_pem)
    xmlenc.encrypt_assertion(own, sp_key.cert_pem)
    root = parse(etree.tostring(resp))
    _, inside, _ = xmlenc.decrypt_into(root.find(SAML_EA), sp_key.key_pem)
    assert inside.prefix == "encas2"
    assert xmldsig.verify(inside, keys().idp.cert_pem)


def test_a_refused_ciphertext_costs_the_same_work_as_a_good_one(sp_key, monkeypatch):
    """No timing assertion: the work is counted. A bad GCM tag, a wrong key and a good ciphertext each
    make one RSA and one AES decryption, and one parse of a document of about the same size."""
    parsed: list[int] = []
    real_parse = xmlenc.parse

    def counting_parse(data: bytes, max_bytes: int | None = None):
        parsed.append(len(data))
        return real_parse(data, max_bytes)

    monkeypatch.setattr(xmlenc, "parse", counting_parse)
    root = encrypted(sp_key, xmlenc.AES256_GCM)
    sizes = {}
    for name, key, bend in (
        ("good", sp_key.key_pem, None),
        ("wrong key", keys().foreign.key_pem, None),
        ("bad tag", sp_key.key_pem, -1),
    ):
        r = copy.deepcopy(root)
        if bend is not None:
            node = list(r.iter(ns.q(XENC, "CipherValue")))[1]
            raw = bytearray(base64.b64decode("".join(node.text.split())))
            raw[bend] ^= 1
            node.text = base64.b64encode(bytes(raw)).decode()
        parsed.clear()
        try:
            xmlenc.decrypt_into(r.find(SAML_EA), key)
        except xmlenc.EncryptionProblem:
            pass
        assert len(parsed) == 1, name
        sizes[name] = parsed[0]
    good = sizes.pop("good")
    assert all(abs(n - good) < good * 0.15 for n in sizes.values()), (good, sizes)
