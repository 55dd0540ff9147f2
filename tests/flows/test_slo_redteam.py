"""Forged and bent logout messages at the SP's SLO endpoint: each is refused with its reason code
and no session ends (a LogoutRequest that could end sessions on an attacker's say is a DoS)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote_plus

import pytest
from lxml import etree
from saml_helpers import SP_BASE, assert_refused, keys
from slo_helpers import SLO_PATH, Walker, redirect_message, slo_world

from samlkit import binding, codec, logout, ns, redirect_sign, xmldsig

OWN = {"Sec-Fetch-Site": "none"}  # the tester clicks Log out themselves

pytestmark = pytest.mark.usefixtures("no_process_spawned")


@pytest.fixture
def victim(new_world):
    world = slo_world(new_world)
    b = world.browser()
    assert b.login("alice").status_code == 303
    index = world.idp.sessions.snapshot()[0].participants[world.sp_config.entity_id].session_index
    return world, b, index


def _request(world, index: str, **kw: object) -> etree._Element:
    return logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id="alice", session_index=index, **kw
    )


def _post(b, root: etree._Element):
    return b.sp.post(SLO_PATH, data={"SAMLRequest": codec.encode_post(etree.tostring(root))})


def test_a_signed_logout_request_wrapped_in_an_unsigned_one_is_refused(victim) -> None:
    world, b, index = victim
    signed = _request(world, "_other")
    xmldsig.sign(signed, keys().idp.key_pem, keys().idp.cert_pem)
    outer = _request(world, index)  # the attacker's request for the victim's session, unsigned
    ext = etree.SubElement(outer, ns.q(ns.SAMLP, "Extensions"))
    ext.append(signed)
    outer.insert(1, ext)
    assert_refused(_post(b, outer), "signature-missing")
    assert b.whoami()[0] == 200


def test_a_post_logout_request_signed_by_a_foreign_key_is_refused(victim) -> None:
    world, b, index = victim
    root = _request(world, index)
    xmldsig.sign(root, keys().foreign.key_pem, keys().foreign.cert_pem)  # its certificate travels in KeyInfo
    assert_refused(_post(b, root), "signature-invalid")
    assert b.whoami()[0] == 200


def test_a_changed_name_id_after_signing_is_refused(victim) -> None:
    world, b, index = victim
    root = _request(world, index)
    xmldsig.sign(root, keys().idp.key_pem, keys().idp.cert_pem)
    root.find(ns.q(ns.SAML, "NameID")).text = "bob"
    assert_refused(_post(b, root), "signature-invalid")


def test_a_doctype_is_refused_before_parsing(victim) -> None:
    world, b, index = victim
    xml = b'<!DOCTYPE x [<!ENTITY e "alice">]>' + etree.tostring(_request(world, index))
    r = b.sp.post(SLO_PATH, data={"SAMLRequest": codec.encode_post(xml)})
    assert_refused(r, "doctype-forbidden")


def test_sha1_query_signatures_are_refused(victim) -> None:
    world, b, index = victim
    value = codec.encode_redirect(etree.tostring(_request(world, index)))
    query = redirect_sign.sign_query("SAMLRequest", value, None, keys().idp.key_pem, hash_name="sha1")
    assert quote_plus(ns.SIG_ALGS["rsa-sha1"]) in query
    assert_refused(b.sp.get(SLO_PATH, query_string=query), "weak-algorithm")
    assert b.whoami()[0] == 200


def test_an_expired_logout_request_is_refused(victim) -> None:
    world, b, index = victim
    old = _request(world, index, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    out = binding.send(
        old,
        param="SAMLRequest",
        binding="redirect",
        relay_state=None,
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    assert_refused(b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "expired")
    assert b.whoami()[0] == 200


def test_a_logout_response_addressed_elsewhere_is_refused(victim) -> None:
    world, b, _ = victim
    r = b.sp.get("/fo/logout.php", headers=OWN)
    request_id = redirect_message(r.headers["Location"])[0].get("ID")
    answer = logout.logout_response(
        issuer=world.idp_config.entity_id, destination="https://other-sp.example/slo", in_response_to=request_id
    )
    out = binding.send(
        answer,
        param="SAMLResponse",
        binding="redirect",
        relay_state=None,
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    assert_refused(b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "destination-mismatch")


def test_a_logout_response_from_the_sp_itself_is_not_taken_as_the_idps(victim) -> None:
    """The SP's own signed LogoutResponse (say, captured from an IdP-initiated logout) is not the IdP's."""
    world, b, _ = victim
    r = b.sp.get("/fo/logout.php", headers=OWN)
    request_id = redirect_message(r.headers["Location"])[0].get("ID")
    answer = logout.logout_response(
        issuer=world.sp_config.entity_id, destination=SP_BASE + SLO_PATH, in_response_to=request_id
    )
    out = binding.send(
        answer,
        param="SAMLResponse",
        binding="redirect",
        relay_state=None,
        key_pem=keys().sp.key_pem,
        cert_pem=keys().sp.cert_pem,
    )
    assert_refused(b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "issuer-mismatch")


def test_the_idp_refuses_a_logout_response_it_did_not_ask_for(victim) -> None:
    world, b, _ = victim
    answer = logout.logout_response(
        issuer=world.sp_config.entity_id, destination=world.idp_config.slo_url, in_response_to="_never-asked"
    )
    out = binding.send(
        answer,
        param="SAMLResponse",
        binding="redirect",
        relay_state=None,
        key_pem=keys().sp.key_pem,
        cert_pem=keys().sp.cert_pem,
    )
    page = Walker(b).go(out.location)
    assert page.status_code == 400 and page.headers["X-SAML-Reason"] == "in-response-to-unknown"
    assert world.idp.sessions.count() == 1
