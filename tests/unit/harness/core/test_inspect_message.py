import base64
from urllib.parse import quote_plus

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.core.inspect_message import format_message, inspect
from harness.core.trace import Message, Trace
from samlkit import codec, ns


def test_signed_response_posted(sign_fixtures):
    xml = etree.tostring(sign_fixtures.response(sign_response=True))
    body = f"SAMLResponse={quote_plus(codec.encode_post(xml))}&RelayState=%2Fhome"
    [msg] = inspect(body, sign_fixtures.cert_pem)
    assert (msg.param, msg.binding, msg.relay_state, msg.error) == ("SAMLResponse", "HTTP-POST", "/home", "")
    assert msg.summary.kind == "Response" and msg.summary.name_id == "user1@example.com"
    assert msg.xml.startswith("<samlp:Response") and "\n  <saml:Assertion" in msg.xml
    assert [s.value_ok for s in msg.signatures] == [True, True]
    text = format_message(msg)
    assert "SAMLResponse (HTTP-POST)" in text and "RelayState: /home" in text
    assert "NameID:" in text and "groups: Scanners, Readers" in text
    assert "✔ Response #_resp1" in text and "✔ Assertion #_assert1" in text
    assert "The signature verifies with the trusted certificate." in text
    assert "<samlp:Response" not in text and "<samlp:Response" in format_message(msg, xml=True)


def test_message_survives_a_trace_round_trip(sign_fixtures):
    [msg] = inspect(etree.tostring(sign_fixtures.response()), sign_fixtures.cert_pem)
    trace = Trace(flow="inspector")
    from harness.core.trace import Step

    trace.steps.append(Step(index=0, time=0.0, src="browser", dst="sp", message=msg))
    assert Trace.from_json(trace.to_json()).steps[0].message == msg


def test_tampered_shows_a_cross_and_the_reason(sign_fixtures):
    xml = etree.tostring(sign_fixtures.response()).replace(b"user1@", b"admin@")
    [msg] = inspect(codec.encode_post(xml), sign_fixtures.cert_pem)
    assert msg.error == ""
    text = format_message(msg)
    assert "✘ Assertion #_assert1" in text
    assert "changed after it was signed" in text


def test_signed_redirect_url(sign_fixtures):
    value = quote_plus(codec.encode_redirect(etree.tostring(sign_fixtures.authn_request())))
    sig_alg = quote_plus(ns.SIG_ALGS["rsa-sha256"])
    signed = f"SAMLRequest={value}&RelayState=r1&SigAlg={sig_alg}".encode()
    key = serialization.load_pem_private_key(sign_fixtures.key_pem, password=None)
    signature = quote_plus(base64.b64encode(key.sign(signed, padding.PKCS1v15(), hashes.SHA256())).decode())
    url = f"https://idp.example/sso?{signed.decode()}&Signature={signature}"
    [msg] = inspect(url, sign_fixtures.cert_pem)
    assert (msg.param, msg.binding, msg.relay_state) == ("SAMLRequest", "HTTP-Redirect", "r1")
    assert msg.summary.kind == "AuthnRequest"
    [sig] = msg.signatures
    assert sig.value_ok is True and sig.element == "AuthnRequest"
    assert "query string" in format_message(msg)
    [msg] = inspect(url.replace("RelayState=r1", "RelayState=r2"), sign_fixtures.cert_pem)
    assert msg.signatures[0].value_ok is False


def test_unsigned_message_says_so(sign_fixtures):
    [msg] = inspect(etree.tostring(sign_fixtures.logout_request()))
    assert msg.signatures == [] and "Signatures: none" in format_message(msg)


def test_failure_is_reported_not_raised():
    [msg] = inspect("definitely not saml")
    assert isinstance(msg, Message)
    assert msg.error and msg.raw == "definitely not saml" and msg.xml == ""
    assert msg.error in format_message(msg)
    [msg] = inspect(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert "DOCTYPE" in msg.error


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_inspect_never_raises(data):
    for msg in inspect(data, b"garbage certificate"):
        assert isinstance(format_message(msg), str)


@pytest.fixture(scope="module")
def signed_xml(sign_fixtures) -> bytes:
    return etree.tostring(sign_fixtures.response(sign_response=True))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_inspect_never_raises_on_mangled_signed_messages(sign_fixtures, signed_xml, data):
    xml = signed_xml
    start = data.draw(st.integers(0, len(xml) - 1))
    junk = data.draw(st.binary(max_size=8))
    mangled = xml[:start] + junk + xml[start + len(junk) :]
    for msg in inspect(mangled, sign_fixtures.cert_pem):
        format_message(msg)
