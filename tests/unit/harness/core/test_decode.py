import base64
import zlib
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.core.decode import DecodedInput, DecodeFailure, decode_any, pretty_xml
from samlkit import codec, xmldsig

DOCTYPE_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x "boom">]>\n'
    b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x">&x;</samlp:Response>'
)


@pytest.fixture(scope="module")
def xml(sign_fixtures) -> bytes:
    return etree.tostring(sign_fixtures.response(), xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def request_xml(sign_fixtures) -> bytes:
    return etree.tostring(sign_fixtures.authn_request())


def only(found: list[DecodedInput]) -> DecodedInput:
    assert len(found) == 1
    return found[0]


def test_raw_xml_as_text_and_bytes(xml):
    for given_ in (xml, xml.decode(), "\n  " + xml.decode() + "\n", b"\xef\xbb\xbf" + xml):
        d = only(decode_any(given_))
        assert (d.param, d.binding, d.relay_state) == ("", "raw", None)
        assert etree.fromstring(d.xml_bytes).get("ID") == "_resp1"


def test_text_with_foreign_encoding_declaration_is_reencoded():
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><r xmlns="urn:x">é</r>'
    d = only(decode_any(text))
    assert etree.fromstring(d.xml_bytes).text == "é"


def test_post_base64_plain_and_wrapped(xml):
    b64 = codec.encode_post(xml)
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    for given_ in (b64, wrapped, b64.encode()):
        d = only(decode_any(given_))
        assert d.binding == "HTTP-POST"
        assert d.xml_bytes == xml


def test_redirect_deflate_base64(request_xml):
    d = only(decode_any(codec.encode_redirect(request_xml)))
    assert d.binding == "HTTP-Redirect"
    assert d.xml_bytes == request_xml


@pytest.mark.parametrize("deflated", [False, True])
def test_url_encoded_values(request_xml, deflated):
    value = codec.encode_redirect(request_xml) if deflated else codec.encode_post(request_xml)
    for encoded in (quote(value, safe=""), quote(quote(value, safe=""), safe="")):
        d = only(decode_any(encoded))
        assert d.xml_bytes == request_xml
        assert d.binding == ("HTTP-Redirect" if deflated else "HTTP-POST")


def test_url_encoded_raw_xml(request_xml):
    d = only(decode_any(quote(request_xml.decode(), safe="")))
    assert d.xml_bytes == request_xml


def test_whole_url_with_signature_parameters(request_xml):
    value = quote_plus(codec.encode_redirect(request_xml))
    relay = quote_plus("/fo/home?x=1&y=2")
    sig_alg = quote_plus(xmldsig.ns.SIG_ALGS["rsa-sha256"])
    url = (
        f"https://idp.example/sso?SAMLRequest={value}&RelayState={relay}"
        f"&SigAlg={sig_alg}&Signature=AbC%2B%2Fx%3D%3D#frag"
    )
    d = only(decode_any(url))
    assert (d.param, d.binding) == ("SAMLRequest", "HTTP-Redirect")
    assert d.xml_bytes == request_xml
    assert d.relay_state == "/fo/home?x=1&y=2"
    assert d.sig_alg == xmldsig.ns.SIG_ALGS["rsa-sha256"]
    assert d.signature == "AbC+/x=="
    assert d.signed_query == f"SAMLRequest={value}&RelayState={relay}&SigAlg={sig_alg}".encode()
    assert d.raw == value


def test_url_wrapped_over_lines_and_with_unencoded_plus(request_xml):
    value = codec.encode_redirect(request_xml)
    assert "+" in value or "/" in value  # the sloppy form must still work if a '+' is present
    url = "http://127.0.0.1:8444/sso?SAMLRequest=" + value.replace("/", "%2F").replace("=", "%3D")
    wrapped = "\n".join(url[i : i + 60] for i in range(0, len(url), 60))
    assert only(decode_any(wrapped)).xml_bytes == request_xml


def test_url_without_saml_parameter_is_refused():
    with pytest.raises(DecodeFailure, match="no SAMLRequest or SAMLResponse"):
        decode_any("https://sp.example/fo/login.php?idm_key=XYZ")


def test_html_form(xml):
    page = f"""<!DOCTYPE html><html><body onload="document.forms[0].submit()">
    <form method="post" action="https://sp.example/IdM/saml2/">
      <input type="hidden" name="SAMLResponse" value="{codec.encode_post(xml)}"/>
      <input type="hidden" name="RelayState" value="/fo/home?a=1&amp;b=2">
      <noscript><button type="submit">Continue</button></noscript>
    </form></body></html>"""
    d = only(decode_any(page))
    assert (d.param, d.binding, d.relay_state) == ("SAMLResponse", "HTTP-POST", "/fo/home?a=1&b=2")
    assert d.xml_bytes == xml


def test_html_without_saml_form_is_refused():
    with pytest.raises(DecodeFailure, match="no form input named SAMLRequest"):
        decode_any("<!DOCTYPE html><html><body><form><input name='q'></form></body></html>")


def test_form_bodies(xml, request_xml):
    d = only(decode_any(f"SAMLResponse={quote_plus(codec.encode_post(xml))}&RelayState=%2Fhome"))
    assert (d.param, d.binding, d.relay_state, d.xml_bytes) == ("SAMLResponse", "HTTP-POST", "/home", xml)
    d = only(decode_any(f"RelayState=r&SAMLRequest={quote_plus(codec.encode_redirect(request_xml))}"))
    assert (d.param, d.binding, d.relay_state, d.xml_bytes) == ("SAMLRequest", "HTTP-Redirect", "r", request_xml)


def test_binary_deflate_and_zlib(request_xml):
    assert only(decode_any(codec.deflate(request_xml))).xml_bytes == request_xml
    assert only(decode_any(base64.b64encode(zlib.compress(request_xml)))).xml_bytes == request_xml


@pytest.mark.parametrize(
    "encode",
    [
        lambda x: x,
        lambda x: x.decode(),
        codec.encode_post,
        codec.encode_redirect,
        lambda x: "https://idp/sso?SAMLRequest=" + quote_plus(codec.encode_redirect(x)),
        lambda x: f'<form><input name="SAMLResponse" value="{codec.encode_post(x)}"></form>',
    ],
    ids=["bytes", "text", "post", "redirect", "url", "html"],
)
def test_doctype_is_refused_in_every_form(encode):
    with pytest.raises(DecodeFailure, match="DOCTYPE") as err:
        decode_any(encode(DOCTYPE_XML))
    assert "not parsed" in str(err.value)


@pytest.mark.parametrize(
    ("given_", "words"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("hello world", "neither XML nor DEFLATE"),
        ("!!!***", "not XML, base64"),
        ("<samlp:Response", "not well-formed"),
        (codec.encode_post(b"just text, not xml"), "neither XML nor DEFLATE"),
        (codec.encode_redirect(b"inflated but not xml"), "not to XML"),
        ("SAMLResponse=&RelayState=x", "empty"),
        (b"\x00\x9cgarbage\xff", "neither XML nor DEFLATE"),
    ],
)
def test_garbage_gives_plain_words(given_, words):
    with pytest.raises(DecodeFailure, match=words) as err:
        decode_any(given_)
    assert "Traceback" not in str(err.value)
    assert str(err.value)[0].isupper()


def test_deflate_bomb_is_bounded():
    bomb = codec.encode_redirect(b"<a>" + b" " * (codec.MAX_MESSAGE_BYTES + 10) + b"</a>")
    with pytest.raises(DecodeFailure, match="larger than"):
        decode_any(bomb)


def test_pretty_xml_indents_a_copy_and_keeps_signatures(sign_fixtures, xml):
    pretty = pretty_xml(xml)
    assert "\n  <saml:Assertion" in pretty
    # the original bytes are untouched and still verify; the pretty copy is for display only
    root = etree.fromstring(xml)
    xmldsig.verify(root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"), sign_fixtures.cert_pem)
    with pytest.raises(DecodeFailure):
        pretty_xml(DOCTYPE_XML)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_input_raises_only_decode_failure(data):
    try:
        decode_any(data)
    except DecodeFailure as err:
        assert str(err)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ABCDEFabcdef0123456789+/=%&?<>:SAMLRequestRelayStat ", max_size=200))
def test_random_lookalikes_raise_only_decode_failure(data):
    try:
        decode_any(data)
    except DecodeFailure:
        pass
