"""samlkit.xmldsig checks the common signature form itself (exclusive c14n, no PrefixList) and
leaves every other form to libxmlsec1: both must reach the same verdict on every message.

Hostile variants of a signed Response go through both: text changed; comments, elements and
processing instructions slipped in (the parser drops the last); namespaces moved or renamed;
base64 values re-wrapped, changed, truncated or swapped; markup added in and around the
Signatures. So do Responses signed by other SAML libraries.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import saml_helpers
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from saml_helpers import Keys

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned
from samlkit import dsig_value, ns, safexml, xmldsig

SIGNATURE = ns.q(ns.DS, "Signature")
REALWORLD = Path(__file__).resolve().parents[2] / "data" / "realworld"


def _signed_text(kind: str, hash_name: str) -> str:
    """A Response whose Assertion and then the Response itself are signed, as the mock IdP does."""
    kp = saml_helpers.keys().idp if kind == "rsa" else saml_helpers.keys().ec
    resp, _ = build_unsigned(
        idp_entity_id="urn:idp",
        sp=SPSettings(entity_id="urn:sp", acs_url="https://sp/acs"),
        user=IdPUser("alice", "pw", email="alice@corp.test", groups=["admin", "x<y"], extra={"dept": "R&D"}),
        in_response_to="_req1",
    )
    root = safexml.parse(etree.tostring(resp))
    xmldsig.sign(root.find(ns.q(ns.SAML, "Assertion")), kp.key_pem, kp.cert_pem, hash_name=hash_name)
    xmldsig.sign(root, kp.key_pem, kp.cert_pem, hash_name=hash_name)
    return etree.tostring(root).decode()


def _verdict_ours(element: etree._Element, cert: bytes) -> bool | None:
    """True/False from xmldsig.verify; None when a rule before the value check refused."""
    try:
        xmldsig.verify(element, cert, allow_sha1=True)
    except xmldsig.SignatureProblem as err:
        if err.code == "signature-invalid" and err.message.startswith("the signature does not verify"):
            return False
        return None
    return True


def _verdict_libxmlsec1(element: etree._Element, cert: bytes) -> bool:
    try:
        xmldsig.check_with_libxmlsec1(element, element.find(SIGNATURE), cert)
    except xmldsig.SignatureProblem:
        return False
    return True


def _agree(text: str, cert: bytes) -> list[bool]:
    """Both engines' verdicts on the Response's and the Assertion's signatures (which must agree)."""
    try:
        root = safexml.parse(text.encode())
    except Exception:
        assume(False)
        raise
    verdicts = []
    for element in (root, root.find(ns.q(ns.SAML, "Assertion"))):
        if element is None or len(element.findall(SIGNATURE)) != 1:
            continue
        ours = _verdict_ours(element, cert)
        if ours is None:
            continue
        # verify() may refuse before the value check and then trust nothing; otherwise compare.
        assert ours is _verdict_libxmlsec1(element, cert), (etree.QName(element).localname, text)
        verdicts.append(ours)
    return verdicts


# -- mutations: each takes the message text and a Random, returns new text --------------------


def _in_text(text: str, rnd: random.Random, change: Callable[[str], str]) -> str:
    """Change the text of one element that has text (NameID, AttributeValue, Issuer...)."""
    spots = [m for m in re.finditer(r">([^<>]+)<", text) if m.group(1).strip()]
    m = rnd.choice(spots)
    return text[: m.start(1)] + change(m.group(1)) + text[m.end(1) :]


def _split(s: str, rnd: random.Random, insert: str) -> str:
    i = rnd.randrange(len(s) + 1)
    return s[:i] + insert + s[i:]


def _at_tag_end(text: str, rnd: random.Random, insert: str) -> str:
    """Insert inside a random start tag, just before its '>'."""
    spots = [m.end() - 1 for m in re.finditer(r"<[A-Za-z][^<>]*?(?<!/)>", text)]
    i = rnd.choice(spots)
    return text[:i] + insert + text[i:]


def _between_elements(text: str, rnd: random.Random, insert: str) -> str:
    spots = [m.start() + 1 for m in re.finditer(r"><", text)]
    i = rnd.choice(spots)
    return text[:i] + insert + text[i:]


def _value(text: str, rnd: random.Random, tag: str, change: Callable[[str, random.Random], str]) -> str:
    spots = [m for m in re.finditer(rf"<(?:\w+:)?{tag}>([^<]+)<", text)]
    if not spots:
        return text
    m = rnd.choice(spots)
    return text[: m.start(1)] + change(m.group(1), rnd) + text[m.end(1) :]


def _flip_b64(v: str, rnd: random.Random) -> str:
    i = rnd.randrange(len(v))
    return v[:i] + ("A" if v[i] != "A" else "B") + v[i + 1 :]


# Whitespace to Python's str.split(), not to libxmlsec1's base64 decoder (nor XML's S production).
_UNICODE_SPACES = ["\u00a0", "\u0085", "\u2028", "\u3000", "&#xa0;"]


def _swap_values(text: str, rnd: random.Random) -> str:
    values = re.findall(r"<(?:\w+:)?SignatureValue>([^<]+)<", text)
    if len(values) != 2 or values[0] == values[1]:
        return text
    return text.replace(values[0], "\0").replace(values[1], values[0]).replace("\0", values[1])


_SIGNATURE_CHILD = re.compile(r"<ds:(SignedInfo|SignatureValue|KeyInfo)\b.*?</ds:\1>", re.S)
_EXTRA_CHILDREN = [
    "<ds:Object>o</ds:Object>",
    "<ds:KeyInfo/>",
    "<ds:SignatureValue>AAAA</ds:SignatureValue>",
    "<ds:SignedInfo/>",
    '<x:y xmlns:x="urn:x"/>',
]


def _among_signature_children(text: str, rnd: random.Random) -> str:
    """Markup before, between or after a Signature's children (its layout, not its values)."""
    spots = [i for m in _SIGNATURE_CHILD.finditer(text) for i in (m.start(), m.end())]
    if not spots:
        return text
    i = rnd.choice(spots)
    return text[:i] + rnd.choice(_EXTRA_CHILDREN) + text[i:]


def _signature_children_moved(text: str, rnd: random.Random) -> str:
    """One child of a Signature (SignedInfo, SignatureValue, KeyInfo) moved to its end or doubled."""
    children = list(_SIGNATURE_CHILD.finditer(text))
    if not children or "</ds:Signature>" not in text[children[-1].end() :]:
        return text
    m = rnd.choice(children)
    end = text.index("</ds:Signature>", m.end())
    keep = m.group(0) if rnd.random() < 0.5 else ""
    return text[: m.start()] + keep + text[m.end() : end] + m.group(0) + text[end:]


MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "change a character of a text": lambda t, r: _in_text(t, r, lambda s: _split(s[1:], r, "Z")),
    "comment inside a text": lambda t, r: _in_text(t, r, lambda s: _split(s, r, "<!--x-->")),
    "processing instruction inside a text": lambda t, r: _in_text(t, r, lambda s: _split(s, r, "<?pi x?>")),
    "element inside a text": lambda t, r: _in_text(t, r, lambda s: _split(s, r, "<saml:b/>")),
    "CDATA around a text": lambda t, r: _in_text(t, r, lambda s: f"<![CDATA[{s}]]>" if "]]>" not in s else s),
    "character reference in a text": lambda t, r: _in_text(t, r, lambda s: f"&#{ord(s[0])};{s[1:]}"),
    "whitespace in a start tag": lambda t, r: _at_tag_end(t, r, " \n\t"),
    "unused namespace declared": lambda t, r: _at_tag_end(t, r, ' xmlns:zz="urn:zz"'),
    "xml:space on an element": lambda t, r: _at_tag_end(t, r, ' xml:space="preserve"'),
    "attribute added": lambda t, r: _at_tag_end(t, r, ' extra="1"'),
    "whitespace between elements": lambda t, r: _between_elements(t, r, "\n  "),
    "comment between elements": lambda t, r: _between_elements(t, r, "<!-- c -->"),
    "element between elements": lambda t, r: _between_elements(t, r, "<ds:Object>o</ds:Object>"),
    "newlines in a base64 value": lambda t, r: _value(
        t, r, r.choice(["DigestValue", "SignatureValue"]), lambda v, rr: _split(v, rr, "\n")
    ),
    "comment in a base64 value": lambda t, r: _value(
        t, r, r.choice(["DigestValue", "SignatureValue"]), lambda v, rr: _split(v, rr, "<!--c-->")
    ),
    "a base64 value changed": lambda t, r: _value(t, r, r.choice(["DigestValue", "SignatureValue"]), _flip_b64),
    "a base64 value truncated": lambda t, r: _value(
        t, r, r.choice(["DigestValue", "SignatureValue"]), lambda v, rr: v[: rr.randrange(len(v))]
    ),
    "non-ASCII whitespace in a base64 value": lambda t, r: _value(
        t, r, r.choice(["DigestValue", "SignatureValue"]), lambda v, rr: _split(v, rr, rr.choice(_UNICODE_SPACES))
    ),
    "not base64": lambda t, r: _value(t, r, r.choice(["DigestValue", "SignatureValue"]), lambda v, rr: v + "*"),
    "the two SignatureValues swapped": _swap_values,
    "the ds prefix renamed": lambda t, r: t.replace("ds:", "dsig:").replace("xmlns:ds=", "xmlns:dsig="),
    "the saml prefix renamed": lambda t, r: t.replace("saml:", "sa:").replace("xmlns:saml=", "xmlns:sa="),
    "the Signature in the default namespace": lambda t, r: t.replace("ds:", "").replace("xmlns:ds=", "xmlns="),
    "markup among a Signature's children": _among_signature_children,
    "a Signature's child moved or doubled": _signature_children_moved,
}


_SIGNED = {(k, h): _signed_text(k, h) for k, h in [("rsa", "sha256"), ("ec", "sha384"), ("rsa", "sha1")]}


@pytest.mark.parametrize(("kind", "hash_name"), [("rsa", "sha256"), ("ec", "sha384"), ("rsa", "sha1")])
@given(
    names=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_both_engines_agree_on_hostile_variants(kind: str, hash_name: str, names: list[str], seed: int) -> None:
    text = _SIGNED[(kind, hash_name)]
    cert = saml_helpers.keys().idp.cert_pem if kind == "rsa" else saml_helpers.keys().ec.cert_pem
    rnd = random.Random(seed)
    for name in names:
        text = MUTATIONS[name](text, rnd)
    _agree(text, cert)


@pytest.mark.parametrize(
    ("name", "verdicts"),
    [
        ("comment inside a text", [True, True]),
        ("whitespace in a start tag", [True, True]),
        ("the ds prefix renamed", [False, False]),
        ("the two SignatureValues swapped", [False, False]),
        ("an element in the NameID", [False, False]),
        ("a character of the NameID changed", [False, False]),
    ],
)
def test_known_variants_reach_the_verdicts_a_reader_expects(keys: Keys, name: str, verdicts: list[bool]) -> None:
    """The property above is not vacuous: variants both accept, and variants both refuse."""
    text = _SIGNED[("rsa", "sha256")]
    if "NameID" in name:
        insert = '<x:b xmlns:x="urn:x"/>' if "element" in name else "Z"
        text, n = re.subn(r"(<saml:NameID[^>]*>)", lambda m: m.group(1) + insert, text)
        assert n == 1
    else:
        text = MUTATIONS[name](text, random.Random(7))
    assert _agree(text, keys.idp.cert_pem) == verdicts


_SV = re.compile(r"<ds:SignatureValue>[^<]*</ds:SignatureValue>")
_SI = re.compile(r"<ds:SignedInfo>.*?</ds:SignedInfo>", re.S)
_KI = re.compile(r"<ds:KeyInfo>.*?</ds:KeyInfo>", re.S)


@pytest.mark.parametrize(
    "layout",
    [
        "SignatureValue SignedInfo KeyInfo",
        "SignedInfo SignatureValue SignatureValue KeyInfo",
        "SignedInfo SignedInfo SignatureValue KeyInfo",
        "SignedInfo SignatureValue KeyInfo KeyInfo",
        "SignedInfo Object SignatureValue KeyInfo",
        "SignedInfo SignatureValue Object KeyInfo",
        "SignedInfo SignatureValue KeyInfo Foreign",
        "SignedInfo SignatureValue KeyInfo SignatureValue",
    ],
)
def test_a_signature_whose_children_libxmlsec1_refuses_is_refused(keys: Keys, layout: str) -> None:
    """The value check finds SignedInfo and SignatureValue by name; libxmlsec1 reads a Signature's
    children in XML-DSig's order and refuses anything else. The untouched SignedInfo and
    SignatureValue, reordered or beside extra children, once passed the value check alone."""
    text = _SIGNED[("rsa", "sha256")]
    sig_start = text.index("<ds:SignedInfo>")
    sig_end = text.index("</ds:Signature>")
    inner = text[sig_start:sig_end]
    parts = {
        "SignedInfo": _SI.search(inner).group(0),
        "SignatureValue": _SV.search(inner).group(0),
        "KeyInfo": _KI.search(inner).group(0),
        "Object": "<ds:Object>o</ds:Object>",
        "Foreign": '<x:y xmlns:x="urn:x"/>',
    }
    text = text[:sig_start] + "\n".join(parts[name] for name in layout.split()) + "\n" + text[sig_end:]
    response = safexml.parse(text.encode())
    with pytest.raises(xmldsig.SignatureProblem) as err:
        xmldsig.verify(response, keys.idp.cert_pem)
    assert err.value.code == "signature-invalid"
    assert "in this order" in err.value.message
    assert _verdict_libxmlsec1(response, keys.idp.cert_pem) is False
    # the same parts in XML-DSig's order verify with both
    text = text.replace(
        text[sig_start : text.index("</ds:Signature>")],
        "\n".join(parts[n] for n in ("SignedInfo", "SignatureValue", "KeyInfo", "Object")) + "\n",
    )
    assert _agree(text, keys.idp.cert_pem) == [True, True]


def _checked_by_us(element: etree._Element) -> bool:
    sig = element.find(SIGNATURE)
    c14n = sig.find(f"{ns.q(ns.DS, 'SignedInfo')}/{ns.q(ns.DS, 'CanonicalizationMethod')}")
    transforms = [t.get("Algorithm") for t in sig.iter(ns.q(ns.DS, "Transform"))]
    return dsig_value.takes(element.get("ID"), c14n, transforms)


def test_the_mock_idps_signatures_are_checked_by_us(keys: Keys) -> None:
    root = safexml.parse(_SIGNED[("rsa", "sha256")].encode())
    for element in (root, root.find(ns.q(ns.SAML, "Assertion"))):
        assert _checked_by_us(element)
        assert _verdict_ours(element, keys.idp.cert_pem) is True
        assert _verdict_ours(element, keys.foreign.cert_pem) is False
        assert _verdict_libxmlsec1(element, keys.foreign.cert_pem) is False


def _realworld(name: str) -> bytes:
    data = (REALWORLD / name).read_bytes().strip()
    return data if data.startswith(b"<") else base64.b64decode(data)


@pytest.mark.parametrize(
    ("name", "accepted", "by_us"),
    [
        ("adfs_response_sha256.xml", True, True),  # exclusive c14n, default namespaces
        ("inclusive_namespaces.xml", True, False),  # a PrefixList: libxmlsec1's
        ("valid_response.xml.base64", True, True),
        ("simplesamlphp_authnresponse.xml", False, True),
    ],
)
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_responses_from_other_libraries(name: str, accepted: bool, by_us: bool) -> None:
    """Signed by ADFS, OneLogin and SimpleSAMLphp (tests/data/realworld/README.md), each checked
    with the certificate its own KeyInfo carries."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    root = safexml.parse(_realworld(name))
    verdicts = []
    for sig in list(root.iter(SIGNATURE)):
        der = xmldsig.keyinfo_cert_der(sig)
        cert = (
            der
            if der.startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        )
        element = sig.getparent()
        assert _checked_by_us(element) is by_us
        ours = _verdict_ours(element, cert)
        assert ours is _verdict_libxmlsec1(element, cert)
        verdicts.append(ours)
    assert all(verdicts) if accepted else not any(verdicts)


@pytest.mark.parametrize(
    ("r_len", "s_len", "accepted"), [(32, 32, True), (33, 33, True), (48, 48, True), (32, 33, False)]
)
def test_an_ecdsa_value_is_read_as_libxmlsec1_reads_it(keys: Keys, r_len: int, s_len: int, accepted: bool) -> None:
    """libxmlsec1 splits an ECDSA SignatureValue of any even length at its middle (Java signers
    drop a leading zero byte shared by r and s, others pad them); an odd length is refused."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    root = safexml.parse(_SIGNED[("ec", "sha384")].encode())
    sig = root.find(SIGNATURE)
    octets = etree.tostring(sig.find(ns.q(ns.DS, "SignedInfo")), method="c14n", exclusive=True)
    key = serialization.load_pem_private_key(keys.ec.key_pem, None)
    r, s = decode_dss_signature(key.sign(octets, ec.ECDSA(hashes.SHA384())))
    value = r.to_bytes(r_len, "big") + s.to_bytes(s_len, "big")
    sig.find(ns.q(ns.DS, "SignatureValue")).text = base64.b64encode(value).decode()
    assert _agree(etree.tostring(root).decode(), keys.ec.cert_pem)[0] is accepted


@pytest.mark.parametrize("space", ["\u00a0", "\u0085", "\u2003", "\u2028", "\u3000", "&#xa0;"])
def test_a_signature_value_split_by_non_ascii_whitespace_is_refused(keys: Keys, space: str) -> None:
    """libxmlsec1's base64 decoder skips XML whitespace only; str.split() also dropped these."""
    text = _SIGNED[("rsa", "sha256")]
    value = re.search(r"<ds:SignatureValue>([^<]+)<", text).group(1)
    assert _agree(text.replace(value, value[:20] + space + value[20:], 1), keys.idp.cert_pem) == [False, True]
    assert _agree(text.replace(value, value[:20] + "\r\n\t " + value[20:], 1), keys.idp.cert_pem) == [True, True]


@pytest.mark.parametrize(("element", "element_id"), [("Response", "_a b"), ("Response", "_a'b"), ("Response", "_a\tb"),
                                                     ("Response", "_a "), ("Assertion", "xpointer(/)")])  # fmt: skip
def test_an_id_libxmlsec1_reads_as_xpointer_is_left_to_it(keys: Keys, element: str, element_id: str) -> None:
    """libxmlsec1 reads URI="#..." as XPointer: whitespace or an apostrophe breaks its id() lookup,
    and "#xpointer(/)" names the whole document, not the Assertion the signer digested. The
    in-process check digests the element itself, so it once accepted what libxmlsec1 refuses."""
    root = safexml.parse(_SIGNED[("rsa", "sha256")].encode())
    for sig in list(root.iter(SIGNATURE)):
        sig.getparent().remove(sig)
    target = root if element == "Response" else root.find(ns.q(ns.SAML, "Assertion"))
    target.set("ID", element_id)
    xmldsig.sign(target, keys.idp.key_pem, keys.idp.cert_pem)
    signed = safexml.parse(etree.tostring(root))
    signed = signed if element == "Response" else signed.find(ns.q(ns.SAML, "Assertion"))
    assert _verdict_libxmlsec1(signed, keys.idp.cert_pem) is False
    assert _verdict_ours(signed, keys.idp.cert_pem) is False


@pytest.mark.parametrize(("last", "verdicts"), [("", [True, True]), ("<ds:KeyInfo/>", [None])])
def test_a_signatures_objects_are_counted_up_to_its_last_child(keys: Keys, last: str, verdicts: list) -> None:
    """The layout rule counts a run of Objects in C, and still sees a stray child after 5,000 of them."""
    text = _SIGNED[("rsa", "sha256")]
    end = text.index("</ds:KeyInfo>") + len("</ds:KeyInfo>")
    text = text[:end] + "<ds:Object/>" * 5_000 + last + text[end:]
    root = safexml.parse(text.encode())
    if verdicts == [None]:
        with pytest.raises(xmldsig.SignatureProblem, match="in this order"):
            xmldsig.verify(root, keys.idp.cert_pem)
        assert _verdict_libxmlsec1(root, keys.idp.cert_pem) is False
    else:
        assert _agree(text, keys.idp.cert_pem) == verdicts


def test_a_certificate_libxmlsec1_cannot_load_is_trusted_by_neither(keys: Keys) -> None:
    """`cryptography` reads PEM whose lines are indented with tabs; libxmlsec1 does not, and its
    refusal (trust-misconfigured) holds for the form checked in-process too."""
    indented = b"\n".join(b"\t" + line for line in keys.idp.cert_pem.splitlines())
    response = safexml.parse(_SIGNED[("rsa", "sha256")].encode())
    assert _checked_by_us(response)
    with pytest.raises(xmldsig.SignatureProblem) as err:
        xmldsig.check_with_libxmlsec1(response, response.find(SIGNATURE), indented)
    assert err.value.code == "trust-misconfigured"
    assert problem_code(response, indented) == "trust-misconfigured"
    assert problem_code(response, keys.idp.cert_pem) is None


def problem_code(element: etree._Element, cert: bytes) -> str | None:
    try:
        xmldsig.verify(element, cert)
    except xmldsig.SignatureProblem as err:
        return err.code
    return None
