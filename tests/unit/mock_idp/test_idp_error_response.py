"""mock_idp.error_response: the signed SAML error Response that refuses an AuthnRequest."""

from __future__ import annotations

from dataclasses import replace

from lxml import etree
from saml_helpers import keys, make_world

from mock_idp.error_response import STATUS_REQUEST_DENIED, error_response
from samlkit import codec, ns, xmldsig


def test_the_error_response_states_requester_request_denied_and_the_reason_signed(tmp_path) -> None:
    world = make_world(tmp_path)
    value = error_response(
        idp_entity_id="https://idp",
        sp=world.idp_sp,
        in_response_to="_r1",
        message="AuthnRequest refused: <not signed>.",
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    root = etree.fromstring(codec.decode_post(value))
    code = root.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusCode')}")
    assert code.get("Value") == ns.STATUS_REQUESTER and code[0].get("Value") == STATUS_REQUEST_DENIED
    assert root.findtext(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusMessage')}") == (
        "AuthnRequest refused: <not signed>."
    )
    assert (root.get("InResponseTo"), root.get("Destination")) == ("_r1", world.idp_sp.acs_url)
    assert xmldsig.verify(root, keys().idp.cert_pem).element_id == root.get("ID")
    assert root.find(ns.q(ns.SAML, "Assertion")) is None


def test_an_sp_set_to_unsigned_gets_an_unsigned_error_response(tmp_path) -> None:
    world = make_world(tmp_path)
    value = error_response(
        idp_entity_id="https://idp",
        sp=replace(world.idp_sp, sign="none"),
        in_response_to=None,
        message="x",
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    root = etree.fromstring(codec.decode_post(value))
    assert root.find(ns.q(ns.DS, "Signature")) is None and root.get("InResponseTo") is None
