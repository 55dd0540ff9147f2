"""The mock IdP's SAML error Response: both status codes, the message, signed like the IdP signs."""

from __future__ import annotations

import pytest
from lxml import etree
from saml_helpers import Keys

from mock_idp.model import SPSettings
from mock_idp.status_response import error_response
from samlkit import codec, ns, xmldsig

NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"


def build(keys: Keys, **sp) -> etree._Element:
    value = error_response(
        idp_entity_id="https://idp.test",
        sp=SPSettings("urn:sp", "https://sp.test/acs", **sp),
        in_response_to="_req1",
        top=ns.STATUS_RESPONDER,
        sub_status=NO_PASSIVE,
        message="no session <b>here</b>",
        key_pem=keys.idp.key_pem,
        cert_pem=keys.idp.cert_pem,
    )
    return etree.fromstring(codec.decode_post(value))


@pytest.mark.usefixtures("no_process_spawned")
def test_error_response_carries_both_codes_and_is_signed(keys: Keys) -> None:
    root = build(keys)
    codes = [c.get("Value") for c in root.iter(ns.q(ns.SAMLP, "StatusCode"))]
    assert codes == [ns.STATUS_RESPONDER, NO_PASSIVE]
    assert root.findtext(f".//{ns.q(ns.SAMLP, 'StatusMessage')}") == "no session <b>here</b>"
    assert (root.get("InResponseTo"), root.get("Destination")) == ("_req1", "https://sp.test/acs")
    assert root.find(f".//{ns.q(ns.SAML, 'Assertion')}") is None
    assert xmldsig.verify(root, keys.idp.cert_pem).sig_alg == "rsa-sha256"


@pytest.mark.usefixtures("no_process_spawned")
def test_unsigned_when_the_idp_signs_nothing_for_this_sp(keys: Keys) -> None:
    assert build(keys, sign="none").find(ns.q(ns.DS, "Signature")) is None
