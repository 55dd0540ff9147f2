"""Third red team: parser differentials between what libxmlsec1 verifies and what lxml reads.

Hole found: libxmlsec1 dereferences the References of a ds:Object/ds:Manifest in the Signature,
whatever their URI and whatever key signed: an unsigned forgery naming file:///dev/zero hung a
request thread forever, and any local file was opened on the sender's say. Manifests are now
refused before libxmlsec1 runs (`samlkit.xmldsig._refuse_manifests`). Everything else held.

Each forgery starts from a Response signed by the trusted IdP for mallory (or alice), then bends
the bytes so that a second parser, a human, or the SP's own Clark-notation `find` might see a
different element, ID or value than the one whose digest was checked. Every one must be refused
with a reason code and no session, or (where the bend is c14n-invariant) log in only the user
the IdP signed for.
"""

from __future__ import annotations

import threading

import pytest
from lxml import etree
from saml_helpers import World, keys, reason

from samlkit import codec, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def A(local: str) -> str:
    return ns.q(ns.SAML, local)


def _bytes(world: World, **kw) -> bytes:
    return codec.b64decode_strict(world.forge(**kw))


def _post(world: World, xml: bytes):
    b = world.browser()
    r = b.post_acs(codec.encode_post(xml))
    return b, r


def refused_no_session(world: World, xml: bytes, *codes: str) -> str:
    b, r = _post(world, xml)
    code = reason(r)
    assert 400 <= r.status_code < 500, (r.status_code, code)
    assert code, r.status_code
    if codes:
        assert code in codes, code
    assert b.whoami()[0] == 401
    return code


def only_signed_user(world: World, xml: bytes, user: str = "alice") -> None:
    """The bend is c14n-invariant: the signature holds and the session is the signed user's."""
    b, r = _post(world, xml)
    assert r.status_code == 303, (r.status_code, reason(r))
    status, who = b.whoami()
    assert status == 200 and who["login"] == user, who


def _split(xml: bytes) -> tuple[bytes, bytes]:
    """The Assertion's ID and the Response's ID."""
    root = etree.fromstring(xml)
    return root.find(A("Assertion")).get("ID").encode(), root.get("ID").encode()


# -- c14n-invariant spellings of the signed NameID: same digest, same reading ----------------------


@pytest.mark.parametrize(
    "spelling",
    [b"&#97;lice", b"al<![CDATA[ic]]>e", b"ali<!--x-->ce", b"&#x61;l&#105;ce"],
    ids=["charref", "cdata", "comment", "hexref"],
)
def test_spellings_of_the_signed_name_id_read_as_signed(world: World, spelling: bytes) -> None:
    """libxmlsec1 digests the c14n (references resolved, CDATA as text, comments dropped); lxml's
    string() reads the same characters, so the SP logs in exactly the user the IdP named."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b">alice</saml:NameID>", b">" + spelling + b"</saml:NameID>")
    assert bent != xml
    only_signed_user(world, bent, "alice")
    b, r = _post(world, bent)  # the same assertion again is a replay, never a second session
    assert reason(r) == "replayed" and b.whoami()[0] == 401


def test_a_comment_splitting_a_signed_name_id_cannot_truncate_it(world: World) -> None:
    """The IdP signs 'alice.x' (comments outside c14n); a reader taking only the first text node
    would see 'alice'. The SP joins the text nodes: no account 'alice.x', so no session."""

    def rename(_resp: etree._Element, a: etree._Element) -> None:
        a.find(f"{A('Subject')}/{A('NameID')}").text = "alice.x"

    xml = _bytes(world, before_sign=rename)
    bent = xml.replace(b">alice.x<", b">alice<!---->.x<")
    refused_no_session(world, bent, "user-not-found")


def test_a_child_element_inside_the_signed_name_id_is_not_read_around(world: World) -> None:
    """<NameID>ali<x/>ce</NameID> signed by the IdP reads 'alice' by string(); inserting one after
    signing breaks the digest."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b">alice</saml:NameID>", b">ali<x/>ce</saml:NameID>")
    refused_no_session(world, bent, "signature-invalid")


# -- namespaces -----------------------------------------------------------------------------------


def test_rebinding_the_saml_prefix_inside_the_signed_assertion_breaks_the_digest(world: World) -> None:
    xml = _bytes(world, user="mallory")
    bent = xml.replace(b"<saml:Subject>", b'<saml:Subject xmlns:saml="urn:evil">', 1)
    refused_no_session(world, bent, "signature-invalid")


def test_a_default_namespace_and_stray_prefixes_on_the_unsigned_response_change_nothing(world: World) -> None:
    """Exclusive c14n drops unused ancestor declarations; Clark-notation finds ignore prefixes."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(
        b"<samlp:Response ", b'<samlp:Response xmlns="urn:evil" xmlns:ds="urn:evil-ds" xmlns:xs="urn:x" ', 1
    )
    only_signed_user(world, bent, "alice")


def test_a_look_alike_assertion_in_another_namespace_is_refused(world: World) -> None:
    """A decoy 'saml:Assertion' whose prefix is bound elsewhere, for local-name() readers."""
    xml = _bytes(world, user="mallory")
    decoy = (
        b'<saml:Assertion xmlns:saml="urn:evil" ID="_d" Version="2.0"><saml:Subject>'
        b"<saml:NameID>alice</saml:NameID></saml:Subject></saml:Assertion>"
    )
    bent = xml.replace(b"<samlp:Status>", decoy + b"<samlp:Status>", 1)
    refused_no_session(world, bent, "assertion-count")


def test_an_assertion_in_the_default_namespace_counts_as_a_second_one(world: World) -> None:
    xml = _bytes(world, user="mallory")
    decoy = (
        b'<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_d" Version="2.0"><Subject>'
        b"<NameID>alice</NameID></Subject></Assertion>"
    )
    bent = xml.replace(b"<samlp:Status>", decoy + b"<samlp:Status>", 1)
    refused_no_session(world, bent, "assertion-count")


def test_the_ds_prefix_respelled_breaks_the_signed_info(world: World) -> None:
    xml = _bytes(world, user="alice")
    bent = xml.replace(b"ds:", b"dsig:").replace(b"xmlns:ds=", b"xmlns:dsig=")
    refused_no_session(world, bent, "signature-invalid")


def test_a_signature_in_another_namespace_is_no_signature(world: World) -> None:
    """The same bytes with the xmldsig URI changed: the SP sees no ds:Signature, so none at all."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', b'xmlns:ds="urn:not-dsig"')
    refused_no_session(world, bent, "signature-missing")


# -- where the Signature sits, and what it holds ---------------------------------------------------


def test_an_object_in_the_signature_holding_another_assertion_is_refused(world: World) -> None:
    xml = _bytes(world, user="mallory")
    obj = (
        b"<ds:Object><saml:Assertion ID='_o' Version='2.0'><saml:Subject><saml:NameID>alice</saml:NameID>"
        b"</saml:Subject></saml:Assertion></ds:Object>"
    )
    bent = xml.replace(b"</ds:Signature>", obj + b"</ds:Signature>", 1)
    refused_no_session(world, bent, "assertion-count")


def test_the_signature_moved_after_the_subject_still_names_only_the_signed_user(world: World) -> None:
    """The enveloped transform removes the Signature wherever it sits among the children: moving
    it leaves the digest intact, and the identity is still the signed one."""
    xml = _bytes(world, user="alice")
    root = etree.fromstring(xml)
    a = root.find(A("Assertion"))
    sig = a.find(ns.q(ns.DS, "Signature"))
    a.find(A("Subject")).addnext(sig)
    only_signed_user(world, etree.tostring(root), "alice")


def test_the_signature_moved_into_the_subject_is_not_the_assertion_s(world: World) -> None:
    xml = _bytes(world, user="alice")
    root = etree.fromstring(xml)
    a = root.find(A("Assertion"))
    a.find(A("Subject")).append(a.find(ns.q(ns.DS, "Signature")))
    refused_no_session(world, etree.tostring(root), "signature-missing")


# -- IDs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attr", [b"Id", b"AssertionID", b"id", b"ID"])
def test_another_element_carrying_the_signed_id_is_refused(world: World, attr: bytes) -> None:
    xml = _bytes(world, user="mallory")
    aid, _ = _split(xml)
    bent = xml.replace(b"<samlp:Status>", b"<samlp:Status " + attr + b'="' + aid + b'">', 1)
    refused_no_session(world, bent, "duplicate-id")


def test_an_xml_id_equal_to_the_signed_id_does_not_redirect_the_reference(world: World) -> None:
    """xml:id is an ID to libxml2 whatever the DTD says. A decoy with xml:id equal to the signed
    Assertion's ID must not become what the Reference resolves to."""
    xml = _bytes(world, user="alice")
    aid, _ = _split(xml)
    bent = xml.replace(b"<samlp:Status>", b'<samlp:Status xml:id="' + aid + b'">', 1)
    only_signed_user(world, bent, "alice")


def test_a_namespaced_id_on_the_response_is_not_its_id(world: World) -> None:
    """A Response signed by the IdP, whose ID is then moved to saml:ID: the SP sees no ID."""
    xml = _bytes(world, user="alice", sign="response")
    _aid, rid = _split(xml)
    bent = xml.replace(b' ID="' + rid + b'"', b' saml:ID="' + rid + b'"', 1)
    refused_no_session(world, bent, "signature-invalid", "signature-missing")


def test_a_character_reference_in_the_signed_id_is_the_same_id(world: World) -> None:
    xml = _bytes(world, user="alice")
    aid, _ = _split(xml)
    spelled = b"&#95;" + aid[1:] if aid.startswith(b"_") else aid
    bent = xml.replace(b'ID="' + aid + b'"', b'ID="' + spelled + b'"', 1)
    only_signed_user(world, bent, "alice")


def test_whitespace_around_the_unsigned_destination_is_not_trimmed(world: World) -> None:
    xml = _bytes(world, user="alice")
    bent = xml.replace(b'Destination="http://sp.test/IdM/saml2/"', b'Destination="&#9;http://sp.test/IdM/saml2/ "')
    refused_no_session(world, bent, "destination-mismatch")


def test_the_response_issuer_cannot_pick_another_subscription_for_a_signed_assertion(world: World) -> None:
    """issuers_of reads the unsigned Response Issuer too; it may only order candidates, and the
    Assertion's own Issuer is still checked against the chosen trust."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(
        b"<saml:Issuer>https://idp.test/saml/metadata</saml:Issuer><samlp:Status>",
        b"<saml:Issuer>https://other.test/</saml:Issuer><samlp:Status>",
        1,
    )
    assert bent != xml
    refused_no_session(world, bent, "issuer-mismatch")


# -- what libxmlsec1 would dereference ---------------------------------------------------------------


def _manifest(uri: str) -> bytes:
    return (
        b"<ds:Object><ds:Manifest><ds:Reference URI='" + uri.encode() + b"'>"
        b"<ds:DigestMethod Algorithm='http://www.w3.org/2001/04/xmlenc#sha256'/>"
        b"<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:Manifest></ds:Object>"
    )


@pytest.mark.parametrize("signer", ["idp", "foreign"])
@pytest.mark.parametrize("sign", ["assertion", "both"])
def test_a_manifest_pointing_at_dev_zero_is_refused_without_reading_it(world: World, signer: str, sign: str) -> None:
    """Before the fix this hung the request thread forever (libxmlsec1 read /dev/zero to digest it),
    for an unsigned forgery as much as for a genuinely signed message."""
    kp = keys().idp if signer == "idp" else keys().foreign
    xml = _bytes(world, user="alice", sign=sign, key_pem=kp.key_pem, cert_pem=kp.cert_pem)
    bent = xml.replace(b"</ds:Signature>", _manifest("file:///dev/zero") + b"</ds:Signature>", 1)
    done: list[str] = []

    def post() -> None:
        done.append(refused_no_session(world, bent, "signature-invalid"))

    t = threading.Thread(target=post, daemon=True)
    t.start()
    t.join(10)
    assert done == ["signature-invalid"], "the SP hung dereferencing the Manifest"
    assert "Manifest" in world.verdicts()[-1].message


def test_a_manifest_naming_a_local_file_is_refused(world: World) -> None:
    """A genuinely signed login for alice, plus a Manifest naming a local file: it used to pass
    (Manifest digests are not checked) after libxmlsec1 had opened the file."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b"</ds:Signature>", _manifest("file:///etc/hostname") + b"</ds:Signature>", 1)
    refused_no_session(world, bent, "signature-invalid")


def test_an_object_without_a_manifest_is_still_accepted(world: World) -> None:
    """Only Manifests are refused: an Object of plain content changes nothing libxmlsec1 reads."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b"</ds:Signature>", b"<ds:Object>note</ds:Object></ds:Signature>", 1)
    only_signed_user(world, bent, "alice")


def test_key_info_retrieval_methods_are_never_followed(world: World) -> None:
    """The trusted key is set on the context, so libxmlsec1 never reads KeyInfo: a RetrievalMethod
    naming /dev/zero costs nothing and the login is the signed one."""
    xml = _bytes(world, user="alice")
    bent = xml.replace(b"<ds:KeyInfo>", b"<ds:KeyInfo><ds:RetrievalMethod URI='file:///dev/zero'/>", 1)
    only_signed_user(world, bent, "alice")
