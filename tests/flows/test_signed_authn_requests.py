"""Signed AuthnRequests: the SP signs them (Redirect query, or enveloped for POST), the mock IdP
verifies them against the SP's certificate and refuses unsigned or badly signed ones with a SAML
error Response that the SP shows, reason and all."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from lxml import etree
from saml_helpers import SP_BASE, assert_refused, forms, keys, saml_form
from slo_helpers import redirect_message, slo_world

from samlkit import codec, ns, xmldsig

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def _world(new_world, *, sign=True, want=True, sp_key=None):
    kp = sp_key or keys().sp
    return slo_world(
        new_world,
        sub={"sign_authn_requests": sign},
        idp_sp={"want_authn_requests_signed": want},
        sp_config={"key_pem": kp.key_pem, "cert_pem": kp.cert_pem},
    )


def test_a_signed_authn_request_is_verified_and_the_login_completes(new_world) -> None:
    world = _world(new_world)
    b = world.browser()
    _, start = b.start()
    root, q = redirect_message(start.headers["Location"])
    assert root.tag == ns.q(ns.SAMLP, "AuthnRequest") and q["SigAlg"] == ns.SIG_ALGS["rsa-sha256"]
    page = b.idp_get(start.headers["Location"])
    assert "password" in page.get_data(as_text=True)  # accepted: the login form
    r = b.deliver(b.sign_in(page, "alice", "alice-pw"))
    assert r.status_code == 303 and b.whoami()[1]["login"] == "alice"


@pytest.mark.parametrize(
    "sign,sp_key,words",
    [
        (False, None, "is not signed"),
        (True, "foreign", "does not hold (signature-invalid)"),
    ],
)
def test_the_idp_refuses_with_an_error_response_the_sp_shows(new_world, sign, sp_key, words) -> None:
    world = _world(new_world, sign=sign, sp_key=keys().foreign if sp_key else None)
    b = world.browser()
    _, start = b.start()
    page = b.idp_get(start.headers["Location"])
    form = saml_form(page.get_data(as_text=True))  # no login form: a SAML error Response straight back
    resp = etree.fromstring(codec.decode_post(form.fields["SAMLResponse"]))
    status = resp.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusCode')}")
    assert status.get("Value") == ns.STATUS_REQUESTER
    assert status[0].get("Value") == "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
    assert xmldsig.verify(resp, keys().idp.cert_pem)  # the error Response is signed too
    r = b.deliver(page)
    assert_refused(r, "status-not-success")
    assert words in r.get_data(as_text=True)
    assert b.whoami()[0] == 401


def test_unsigned_requests_pass_when_the_idp_does_not_ask_for_signatures(new_world) -> None:
    world = _world(new_world, sign=False, want=False)
    b = world.browser()
    assert b.login("alice").status_code == 303


def test_a_tampered_signed_redirect_query_is_refused(new_world) -> None:
    world = _world(new_world)
    b = world.browser()
    _, start = b.start(relay_state="/home")
    location = start.headers["Location"].replace("RelayState=%2Fhome", "RelayState=%2Fevil")
    page = b.idp_get(location)
    assert (
        "signature-invalid" in codec.decode_post(saml_form(page.get_data(as_text=True)).fields["SAMLResponse"]).decode()
    )


def _post_authn_request(world, b, *, key, tamper=False):
    """The SP's AuthnRequest sent by HTTP-POST instead, with an enveloped signature."""
    _, start = b.start()
    root, _ = redirect_message(start.headers["Location"])
    xmldsig.sign(root, key.key_pem, key.cert_pem)
    if tamper:
        root.set("ForceAuthn", "true")
    value = codec.encode_post(etree.tostring(root))
    return b.idp.post("/sso", data={"SAMLRequest": value})


def test_an_enveloped_signature_on_a_post_authn_request_is_verified(new_world) -> None:
    world = _world(new_world)
    b = world.browser()
    assert "password" in _post_authn_request(world, b, key=keys().sp).get_data(as_text=True)
    page = _post_authn_request(world, b, key=keys().sp, tamper=True)
    value = saml_form(page.get_data(as_text=True)).fields["SAMLResponse"]
    assert "does not hold" in codec.decode_post(value).decode()


def test_sp_metadata_publishes_signing_slo_and_authn_requests_signed(new_world) -> None:
    world = _world(new_world)
    md = etree.fromstring(world.browser().sp.get("/metadata", query_string={"idm_key": world.sub.idm_key}).get_data())
    desc = md.find(ns.q(ns.MD, "SPSSODescriptor"))
    assert desc.get("AuthnRequestsSigned") == "true"
    slo = {e.get("Binding"): e.get("Location") for e in desc.iter(ns.q(ns.MD, "SingleLogoutService"))}
    assert slo == {ns.BINDING_REDIRECT: SP_BASE + "/IdM/saml2/slo", ns.BINDING_POST: SP_BASE + "/IdM/saml2/slo"}
    cert = desc.find(f"{ns.q(ns.MD, 'KeyDescriptor')}//{ns.q(ns.DS, 'X509Certificate')}").text
    assert cert in keys().sp.cert_pem.decode().replace("\n", "")
    idp_md = etree.fromstring(world.browser().idp.get("/metadata").get_data())
    idp_slo = {e.get("Binding") for e in idp_md.iter(ns.q(ns.MD, "SingleLogoutService"))}
    assert idp_slo == {ns.BINDING_REDIRECT, ns.BINDING_POST}
    assert urlsplit(next(idp_md.iter(ns.q(ns.MD, "SingleLogoutService"))).get("Location")).path == "/slo"


@pytest.mark.parametrize("sign", [True, False])
def test_the_sp_can_send_its_authn_request_by_post_signed_enveloped(new_world, sign) -> None:
    world = slo_world(
        new_world,
        sub={"sign_authn_requests": sign, "authn_request_binding": "post"},
        idp_sp={"want_authn_requests_signed": True},
    )
    b = world.browser()
    r = b.sp.get(world.sp_config.login_path, query_string={"idm_key": world.sub.idm_key})
    assert r.status_code == 200
    form = next(f for f in forms(r.get_data(as_text=True)) if "SAMLRequest" in f.fields)
    assert form.action == world.sub.idp_sso_url
    root = etree.fromstring(codec.decode_post(form.fields["SAMLRequest"]))
    assert root.tag == ns.q(ns.SAMLP, "AuthnRequest")
    if sign:
        assert xmldsig.verify(root, keys().sp.cert_pem).element_id == root.get("ID")
    page = b.idp.post("/sso", data=form.fields)
    if sign:
        done = b.deliver(b.sign_in(page, "alice", "alice-pw"))
        assert done.status_code == 303 and b.whoami()[1]["login"] == "alice"
    else:
        assert_refused(b.deliver(page), "status-not-success")
