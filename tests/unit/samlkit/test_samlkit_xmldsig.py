"""samlkit.xmldsig: enveloped signatures made and checked in-process, strictly.

Only the trusted certificate counts, one Reference to the element's own unique ID, only the
enveloped and exclusive-c14n transforms, no SHA-1 unless asked for.
"""

from __future__ import annotations

import copy
import hashlib

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from saml_helpers import Keys

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned
from samlkit import ns, xmldsig
from samlkit.safexml import parse

DS = ns.DS


def q(local: str, nsuri: str = DS) -> str:
    return ns.q(nsuri, local)


def fresh() -> tuple[etree._Element, etree._Element]:
    """A Response and its Assertion, unsigned, reparsed as the SP would see them."""
    resp, _ = build_unsigned(
        idp_entity_id="urn:idp",
        sp=SPSettings(entity_id="urn:sp", acs_url="https://sp/acs"),
        user=IdPUser("alice", "pw", email="alice@corp.test"),
        in_response_to=None,
    )
    root = parse(etree.tostring(resp))
    return root, root.find(ns.q(ns.SAML, "Assertion"))


def signed(keys: Keys, kind: str = "rsa", **kw) -> tuple[etree._Element, etree._Element]:
    kp = keys.idp if kind == "rsa" else keys.ec
    root, a = fresh()
    xmldsig.sign(a, kp.key_pem, kp.cert_pem, **kw)
    return reparse(root)


def reparse(root: etree._Element) -> tuple[etree._Element, etree._Element]:
    root = parse(etree.tostring(root))
    return root, root.find(ns.q(ns.SAML, "Assertion"))


def problem(element: etree._Element, cert: bytes, **kw) -> str:
    with pytest.raises(xmldsig.SignatureProblem) as err:
        xmldsig.verify(element, cert, **kw)
    return err.value.code


@pytest.mark.parametrize("kind", ["rsa", "ec"])
@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_sign_and_verify(keys: Keys, kind: str, hash_name: str) -> None:
    root, a = signed(keys, kind, hash_name=hash_name)
    cert = keys.idp.cert_pem if kind == "rsa" else keys.ec.cert_pem
    v = xmldsig.verify(a, cert)
    assert v.element_id == a.get("ID")
    assert v.sig_alg == f"{'rsa' if kind == 'rsa' else 'ecdsa'}-{hash_name}"
    assert v.digest_alg == hash_name
    xmldsig.check_with_libxmlsec1(a, a.find(q("Signature")), cert)  # and libxmlsec1 agrees


def test_the_response_can_be_signed_over_a_signed_assertion(keys: Keys) -> None:
    root, a = fresh()
    xmldsig.sign(a, keys.idp.key_pem, keys.idp.cert_pem)
    xmldsig.sign(root, keys.idp.key_pem, keys.idp.cert_pem)
    root, a = reparse(root)
    assert xmldsig.verify(root, keys.idp.cert_pem).element_id == root.get("ID")
    assert xmldsig.verify(a, keys.idp.cert_pem).element_id == a.get("ID")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_sha1_is_refused_unless_allowed(keys: Keys, kind: str) -> None:
    root, a = signed(keys, kind, hash_name="sha1")
    cert = keys.idp.cert_pem if kind == "rsa" else keys.ec.cert_pem
    assert problem(a, cert) == "weak-algorithm"
    assert xmldsig.verify(a, cert, allow_sha1=True).sig_alg.endswith("sha1")


def test_sha1_digest_under_a_sha256_signature_is_refused(keys: Keys) -> None:
    root, a = signed(keys, hash_name="sha256", digest="sha1")
    assert problem(a, keys.idp.cert_pem) == "weak-algorithm"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda a: setattr(a.find(f".//{ns.q(ns.SAML, 'NameID')}"), "text", "admin"),
        lambda a: a.find(f".//{ns.q(ns.SAML, 'Audience')}").set("extra", "1"),
        lambda a: a.find(ns.q(ns.SAML, "Conditions")).set("NotOnOrAfter", "2099-01-01T00:00:00Z"),
        lambda a: a.remove(a.find(ns.q(ns.SAML, "AttributeStatement"))),
        lambda a: a.find(f".//{q('SignatureValue')}").__setattr__("text", "AAAA" * 86 + "AA=="),
    ],
    ids=["nameid-text", "new-attribute", "conditions", "removed-statement", "signature-value"],
)
def test_tampering_after_signing_is_caught(keys: Keys, tamper) -> None:
    root, a = signed(keys)
    tamper(a)
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


def test_foreign_key_with_its_cert_in_keyinfo_is_refused(keys: Keys) -> None:
    root, a = fresh()
    xmldsig.sign(a, keys.foreign.key_pem, keys.foreign.cert_pem)
    root, a = reparse(root)
    # It verifies with the attacker's own certificate (which it carries in KeyInfo) ...
    assert xmldsig.verify(a, keys.foreign.cert_pem)
    # ... and never with the trusted one: KeyInfo is not where keys come from.
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"
    der = x509.load_pem_x509_certificate(keys.foreign.cert_pem).public_bytes(Encoding.DER)
    assert xmldsig.keyinfo_cert_sha256(a.find(q("Signature"))) == hashlib.sha256(der).hexdigest()
    # what verify established names the certificate KeyInfo carried (read when asked for)
    assert xmldsig.verify(a, keys.foreign.cert_pem).keyinfo_cert_sha256 == hashlib.sha256(der).hexdigest()


def test_verified_without_a_keyinfo_certificate_names_none(keys: Keys) -> None:
    root, a = fresh()
    xmldsig.sign(a, keys.idp.key_pem, None)
    root, a = reparse(root)
    assert xmldsig.verify(a, keys.idp.cert_pem).keyinfo_cert_sha256 is None


def test_trusted_cert_in_keyinfo_does_not_help_a_foreign_signature(keys: Keys) -> None:
    root, a = fresh()
    xmldsig.sign(a, keys.foreign.key_pem, keys.idp.cert_pem)  # the trusted cert, a foreign key
    root, a = reparse(root)
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


def test_unsigned(keys: Keys) -> None:
    root, a = fresh()
    assert problem(a, keys.idp.cert_pem) == "signature-missing"


def test_two_signatures(keys: Keys) -> None:
    root, a = signed(keys)
    a.append(copy.deepcopy(a.find(q("Signature"))))
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


def test_element_without_id(keys: Keys) -> None:
    root, a = signed(keys)
    del a.attrib["ID"]
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


@pytest.mark.parametrize("uri", ["", "#other", None], ids=["whole-document", "other-id", "absent"])
def test_wrong_reference(keys: Keys, uri: str | None) -> None:
    root, a = signed(keys)
    ref = a.find(f"{q('Signature')}/{q('SignedInfo')}/{q('Reference')}")
    if uri is None:
        del ref.attrib["URI"]
    else:
        ref.set("URI", uri)
    assert problem(a, keys.idp.cert_pem) == "signature-wrong-reference"


def test_reference_to_the_response_from_inside_the_assertion(keys: Keys) -> None:
    """A signature over the Response, moved into the Assertion, does not sign the Assertion."""
    root, a = fresh()
    sig = xmldsig.sign(root, keys.idp.key_pem, keys.idp.cert_pem)
    a.insert(1, sig)
    root, a = reparse(root)
    assert problem(a, keys.idp.cert_pem) == "signature-wrong-reference"


def test_two_references(keys: Keys) -> None:
    root, a = signed(keys)
    info = a.find(f"{q('Signature')}/{q('SignedInfo')}")
    info.append(copy.deepcopy(info.find(q("Reference"))))
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


@pytest.mark.parametrize(
    "algorithm",
    [
        "http://www.w3.org/TR/1999/REC-xslt-19991116",
        "http://www.w3.org/TR/1999/REC-xpath-19991116",
        "http://www.w3.org/2002/06/xmldsig-filter2",
        "http://www.w3.org/2000/09/xmldsig#base64",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    ],
    ids=["xslt", "xpath", "xpath-filter2", "base64", "inclusive-c14n"],
)
def test_forbidden_transforms(keys: Keys, algorithm: str) -> None:
    root, a = signed(keys)
    transforms = a.find(f".//{q('Transforms')}")
    t = etree.SubElement(transforms, q("Transform"), Algorithm=algorithm)
    if "xslt" in algorithm:
        etree.SubElement(t, "{http://www.w3.org/1999/XSL/Transform}stylesheet", version="1.0")
    elif "xpath" in algorithm:
        etree.SubElement(t, q("XPath")).text = "1"
    assert problem(a, keys.idp.cert_pem) == "transform-forbidden"


def test_enveloped_transform_is_required(keys: Keys) -> None:
    root, a = signed(keys)
    transforms = a.find(f".//{q('Transforms')}")
    for t in list(transforms):
        if t.get("Algorithm") == ns.TRANSFORM_ENVELOPED:
            transforms.remove(t)
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


def test_inclusive_canonicalization_of_signedinfo_is_refused(keys: Keys) -> None:
    root, a = signed(keys)
    a.find(f".//{q('CanonicalizationMethod')}").set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    assert problem(a, keys.idp.cert_pem) == "signature-invalid"


@pytest.mark.parametrize(
    ("element", "algorithm"),
    [
        ("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
        ("SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
        ("SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
        ("DigestMethod", "http://www.w3.org/2001/04/xmldsig-more#md5"),
    ],
    ids=["hmac-sha1", "hmac-sha256", "rsa-md5", "md5-digest"],
)
def test_unsupported_algorithms(keys: Keys, element: str, algorithm: str) -> None:
    root, a = signed(keys)
    a.find(f".//{q(element)}").set("Algorithm", algorithm)
    assert problem(a, keys.idp.cert_pem) == "algorithm-unsupported"


def test_duplicate_ids_are_refused(keys: Keys) -> None:
    root, a = signed(keys)
    evil = copy.deepcopy(a)
    evil.remove(evil.find(q("Signature")))
    root.append(evil)
    assert problem(a, keys.idp.cert_pem) == "duplicate-id"


def test_duplicate_id_in_another_id_attribute_is_refused(keys: Keys) -> None:
    root, a = signed(keys)
    etree.SubElement(root, "{urn:x}Decoy", Id=a.get("ID"))
    assert problem(a, keys.idp.cert_pem) == "duplicate-id"


def test_unloadable_trust(keys: Keys) -> None:
    root, a = signed(keys)
    assert problem(a, b"-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n") == "trust-misconfigured"


def test_comments_are_outside_exclusive_c14n(keys: Keys) -> None:
    """A comment added after signing leaves the signature valid: readers must use string()."""
    root, a = signed(keys)
    name_id = a.find(f".//{ns.q(ns.SAML, 'NameID')}")
    name_id.text = "ali"
    comment = etree.Comment("")
    comment.tail = "ce"
    name_id.append(comment)
    assert xmldsig.verify(a, keys.idp.cert_pem)
    assert name_id.text == "ali"  # what a naive reader would take
    assert name_id.xpath("string()") == "alice"  # what was signed


def test_signature_is_placed_after_issuer(keys: Keys) -> None:
    root, a = signed(keys)
    children = [c.tag for c in a]
    assert children[:2] == [ns.q(ns.SAML, "Issuer"), q("Signature")]


def test_key_algorithm(keys: Keys) -> None:
    assert xmldsig.key_algorithm(keys.idp.key_pem) == "rsa"
    assert xmldsig.key_algorithm(keys.idp.cert_pem) == "rsa"
    assert xmldsig.key_algorithm(keys.ec.key_pem) == "ecdsa"
    assert xmldsig.key_algorithm(keys.ec.cert_pem) == "ecdsa"


_XMLSEC_SIG = {
    "rsa": {h: getattr(xmlsec.Transform, f"RSA_{h.upper()}") for h in ("sha1", "sha256", "sha384", "sha512")},
    "ecdsa": {h: getattr(xmlsec.Transform, f"ECDSA_{h.upper()}") for h in ("sha1", "sha256", "sha384", "sha512")},
}
_XMLSEC_DIGEST = {h: getattr(xmlsec.Transform, h.upper()) for h in ("sha1", "sha256", "sha384", "sha512")}


def _xmlsec_template(element: etree._Element, kind: str, hash_name: str, digest: str, cert_pem: bytes | None):
    """The Signature as libxmlsec1's template calls write it (what sign() used to build it with)."""
    sig = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, _XMLSEC_SIG[kind][hash_name], ns="ds")
    ref = xmlsec.template.add_reference(sig, _XMLSEC_DIGEST[digest], uri="#" + element.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    if cert_pem:
        x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
        etree.SubElement(x509_data, q("X509Certificate"))
    return sig


@pytest.mark.parametrize("kind", ["rsa", "ec"])
@pytest.mark.parametrize(("hash_name", "digest"), [("sha256", "sha256"), ("sha512", "sha1"), ("sha1", "sha384")])
@pytest.mark.parametrize("with_cert", [True, False])
def test_the_signature_markup_is_libxmlsec1_templates(
    keys: Keys, kind: str, hash_name: str, digest: str, with_cert: bool
) -> None:
    kp = keys.idp if kind == "rsa" else keys.ec
    cert = kp.cert_pem if with_cert else None
    root, a = fresh()
    sig = xmldsig.sign(a, kp.key_pem, cert, hash_name=hash_name, digest=digest)
    assert xmldsig.verify(reparse(root)[1], kp.cert_pem, allow_sha1=True).sig_alg.endswith(hash_name)
    _, other = fresh()
    other.set("ID", a.get("ID"))
    expected = _xmlsec_template(other, "rsa" if kind == "rsa" else "ecdsa", hash_name, digest, cert)
    other.find(ns.q(ns.SAML, "Issuer")).addnext(expected)  # where sign() puts it: after the Issuer
    # the same elements, attributes and whitespace; only the computed values differ
    for node in sig.iter(q("DigestValue"), q("SignatureValue"), q("X509Certificate")):
        node.text = None
    assert etree.tostring(sig) == etree.tostring(expected)
