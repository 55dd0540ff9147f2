"""mock_idp.request_signature: which AuthnRequests the IdP refuses for their signature, and why."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree
from saml_helpers import IDP_BASE, keys, make_world

from mock_idp import request_signature
from samlkit import codec, redirect_sign, xmldsig


@pytest.fixture
def setup(tmp_path):
    world = make_world(
        tmp_path,
        sub={"sign_authn_requests": True},
        sp_config={"key_pem": keys().sp.key_pem, "cert_pem": keys().sp.cert_pem},
    )
    sp = replace(world.idp_sp, sp_cert_pem=keys().sp.cert_pem, want_authn_requests_signed=True)
    config = replace(world.idp_config, sps=[sp])
    xml = (
        f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
        f'IssueInstant="2026-01-01T00:00:00Z" Destination="{IDP_BASE}/sso">'
        f"<saml:Issuer>{sp.entity_id}</saml:Issuer></samlp:AuthnRequest>"
    ).encode()
    return config, xml


def test_redirect_signed_unsigned_and_forged(setup) -> None:
    config, xml = setup
    value = codec.encode_redirect(xml)
    good = redirect_sign.sign_query("SAMLRequest", value, None, keys().sp.key_pem)
    assert request_signature.check(config, "HTTP-Redirect", value, good) is None
    refused = request_signature.check(config, "HTTP-Redirect", value, "SAMLRequest=x")
    assert refused.request_id == "_r1" and "is not signed" in refused.reason
    forged = redirect_sign.sign_query("SAMLRequest", value, None, keys().foreign.key_pem)
    assert "signature-invalid" in request_signature.check(config, "HTTP-Redirect", value, forged).reason


def test_post_enveloped_and_not_required(setup) -> None:
    config, xml = setup
    root = etree.fromstring(xml)
    xmldsig.sign(root, keys().sp.key_pem, keys().sp.cert_pem)
    assert request_signature.check(config, "HTTP-POST", codec.encode_post(etree.tostring(root)), "") is None
    unsigned = codec.encode_post(xml)
    assert request_signature.check(config, "HTTP-POST", unsigned, "") is not None
    relaxed = replace(config, sps=[replace(config.sps[0], want_authn_requests_signed=False)])
    assert request_signature.check(relaxed, "HTTP-POST", unsigned, "") is None
    no_cert = replace(config, sps=[replace(config.sps[0], sp_cert_pem=None)])
    signed = codec.encode_post(etree.tostring(root))
    assert "no signing certificate" in request_signature.check(no_cert, "HTTP-POST", signed, "").reason


def test_unreadable_or_unknown_requests_are_left_to_the_normal_checks(setup) -> None:
    config, _ = setup
    assert request_signature.check(config, "HTTP-POST", "%%%", "") is None
    other = b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0"/>'
    assert request_signature.check(config, "HTTP-POST", codec.encode_post(other), "") is None
