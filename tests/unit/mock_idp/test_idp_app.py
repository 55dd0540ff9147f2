"""mock_idp.app: the SSO endpoint's refusals, the login and TOTP forms (CSRF, expiry), the
IdP-initiated start page, sessions, force-authn, logout and an EC-keyed IdP."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from lxml import etree
from saml_helpers import TOTP_SECRET, Keys, World, forms, reason, saml_form
from werkzeug.test import Client

from mock_idp.app import create_idp_app
from samlkit import codec, ns, xmldsig


def authn_request(world: World) -> bytes:
    """A real AuthnRequest from the SP, as XML."""
    r = Client(world.sp).get("/fo/login.php", query_string={"idm_key": world.sub.idm_key})
    return codec.decode_redirect(parse_qs(urlsplit(r.headers["Location"]).query)["SAMLRequest"][0])


def redirect(client: Client, xml: bytes, relay: str | None = None):
    q = {"SAMLRequest": codec.encode_redirect(xml)}
    if relay:
        q["RelayState"] = relay
    return client.get("/sso", query_string=q)


def bent(world: World, fn) -> bytes:
    root = etree.fromstring(authn_request(world))
    fn(root)
    return etree.tostring(root)


def test_login_form_for_a_good_request(world: World) -> None:
    r = redirect(Client(world.idp), authn_request(world), "/x")
    assert r.status_code == 200
    (form,) = forms(r.get_data(as_text=True))
    assert form.action == "/login" and {"t", "csrf", "username", "password"} <= set(form.fields)
    assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda w: {}, "request-missing"),
        (lambda w: {"SAMLRequest": "%%%"}, "malformed-message"),
        (lambda w: {"SAMLRequest": codec.encode_post(authn_request(w))}, "malformed-message"),  # not deflated
        (
            lambda w: {"SAMLRequest": codec.encode_redirect(b'<!DOCTYPE x [<!ENTITY e "1">]><x>&e;</x>')},
            "doctype-forbidden",
        ),
        (
            lambda w: {"SAMLRequest": codec.encode_redirect(b"<samlp:Response xmlns:samlp='%s'/>" % ns.SAMLP.encode())},
            "not-an-authn-request",
        ),
        (
            lambda w: {"SAMLRequest": codec.encode_redirect(bent(w, lambda r: r.set("Version", "1.1")))},
            "not-saml2",
        ),
        (
            lambda w: {
                "SAMLRequest": codec.encode_redirect(
                    bent(w, lambda r: setattr(r.find(ns.q(ns.SAML, "Issuer")), "text", "urn:unknown-sp"))
                )
            },
            "unknown-sp",
        ),
        (
            lambda w: {
                "SAMLRequest": codec.encode_redirect(
                    bent(w, lambda r: r.set("AssertionConsumerServiceURL", "https://evil.test/acs"))
                )
            },
            "acs-mismatch",
        ),
    ],
    ids=["missing", "bad-base64", "not-deflated", "doctype", "not-authn-request", "saml1", "unknown-sp", "evil-acs"],
)
def test_sso_refusals(world: World, make, code: str) -> None:
    r = Client(world.idp).get("/sso", query_string=make(world))
    assert 400 <= r.status_code < 500 and reason(r) == code, (r.status_code, reason(r))
    assert "SAMLResponse" not in r.get_data(as_text=True)


def test_sso_post_binding_refuses_junk(world: World) -> None:
    r = Client(world.idp).post("/sso", data={"SAMLRequest": "!!"})
    assert reason(r) == "malformed-message"


def test_login_needs_the_csrf_cookie(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    other = Client(world.idp)  # the same form fields from another browser: no csrf cookie
    r = other.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    assert r.status_code == 403 and reason(r) == "csrf"
    r = c.post("/login", data={**form.fields, "csrf": "forged", "username": "alice", "password": "alice-pw"})
    assert r.status_code == 403 and reason(r) == "csrf"


def test_login_token_is_single_use(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    ok = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    assert "SAMLResponse" in ok.get_data(as_text=True)
    again = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    assert reason(again) == "login-expired"


def test_login_and_mfa_need_post(world: World) -> None:
    c = Client(world.idp)
    assert c.get("/login").status_code == 405
    assert c.get("/mfa").status_code == 405


def test_mfa_without_a_password_step(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    r = c.post("/mfa", data={"t": form.fields["t"], "csrf": form.fields["csrf"], "code": "123456"})
    assert reason(r) == "login-expired"


def test_totp_user_gets_no_response_before_the_code(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    mfa_page = c.post("/login", data={**form.fields, "username": "tina", "password": "tina-pw"})
    assert "SAMLResponse" not in mfa_page.get_data(as_text=True)
    mfa = forms(mfa_page.get_data(as_text=True))[0]
    # Going back to /login with the same token does not skip tina's code: a Response only
    # ever comes for whoever gave a password there (alice here), and then the token is spent.
    skip = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    xml = etree.fromstring(codec.decode_post(saml_form(skip.get_data(as_text=True)).fields["SAMLResponse"]))
    assert xml.findtext(f".//{ns.q(ns.SAML, 'NameID')}") == "alice"
    late = c.post("/mfa", data={**mfa.fields, "code": pyotp.TOTP(TOTP_SECRET).now()})
    assert reason(late) == "login-expired"


def test_session_and_force_authn(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    assert "SAMLResponse" in redirect(c, authn_request(world)).get_data(as_text=True)
    forced = bent(world, lambda r: r.set("ForceAuthn", "true"))
    assert 'name="password"' in redirect(c, forced).get_data(as_text=True)
    c.get("/logout", headers={"Sec-Fetch-Site": "same-origin"})  # the IdP page's own link
    assert 'name="password"' in redirect(c, authn_request(world)).get_data(as_text=True)


def test_idp_initiated_start(world: World) -> None:
    c = Client(world.idp)
    assert reason(c.get("/start", query_string={"sp": "urn:nobody"})) == "unknown-sp"
    assert "Sign in to a service" in c.get("/start").get_data(as_text=True)
    page = c.get("/start", query_string={"sp": world.sp_config.entity_id, "user": "dave", "RelayState": "/r"})
    form = forms(page.get_data(as_text=True))[0]
    assert form.fields["username"] == "dave"
    done = c.post("/login", data={**form.fields, "password": "dave-pw"})
    post = saml_form(done.get_data(as_text=True))
    assert post.action == world.sp_config.acs_url and post.fields["RelayState"] == "/r"
    xml = etree.fromstring(codec.decode_post(post.fields["SAMLResponse"]))
    assert xml.get("InResponseTo") is None


def test_default_relay_state_for_idp_initiated(new_world) -> None:
    w = new_world(idp_sp={"default_relay_state": "/fo/dashboard"})
    c = Client(w.idp)
    page = c.get("/start", query_string={"sp": w.sp_config.entity_id})
    done = c.post(
        "/login", data={**forms(page.get_data(as_text=True))[0].fields, "username": "alice", "password": "alice-pw"}
    )
    assert saml_form(done.get_data(as_text=True)).fields["RelayState"] == "/fo/dashboard"


def test_oversized_body(world: World) -> None:
    r = Client(world.idp).post("/sso", data={"SAMLRequest": "A" * (2 * 1024 * 1024)})
    assert r.status_code == 413 and reason(r) == "message-too-large"


def test_cookie_names_differ_from_the_sps(world: World) -> None:
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    r = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    names = {h.split("=", 1)[0] for h in r.headers.getlist("Set-Cookie")}
    assert names and not names & {"sp_session", "sp_browser"}


def test_ec_keyed_idp(world: World, keys: Keys) -> None:
    config = replace(world.idp_config, key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)
    idp = create_idp_app(config)
    assert idp.server.sec.sec_backend is None  # no RSA helper for an EC key
    c = Client(idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    done = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    root = etree.fromstring(codec.decode_post(saml_form(done.get_data(as_text=True)).fields["SAMLResponse"]))
    assert xmldsig.verify(root.find(ns.q(ns.SAML, "Assertion")), keys.ec.cert_pem).sig_alg == "ecdsa-sha256"
    assert b"IDPSSODescriptor" in c.get("/metadata").get_data()


def test_reconfigure_changes_the_trust(world: World) -> None:
    world.idp.reconfigure(replace(world.idp_config, sps=[]))
    assert reason(Client(world.idp).get("/start", query_string={"sp": world.sp_config.entity_id})) == "unknown-sp"


def test_unexpected_error_is_a_4xx(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(request):
        raise RuntimeError("x")

    monkeypatch.setattr(world.idp, "_index", boom)
    r = Client(world.idp).get("/")
    assert r.status_code == 400 and reason(r) == "bad-request"


def test_encryption_without_a_certificate_is_a_4xx_in_words(new_world) -> None:
    world = new_world(idp_sp={"encrypt_assertion": True})
    b = world.browser()
    _, r = b.start()
    page = b.sign_in(b.idp_get(r.headers["Location"]), "alice", "alice-pw")
    assert page.status_code == 400 and reason(page) == "encryption-misconfigured"
    assert "no encryption certificate" in page.get_data(as_text=True)


def test_a_user_whose_data_xml_cannot_carry_gets_a_page_naming_the_user_not_encryption(world: World) -> None:
    """An attribute with ESC (saved by a script or the control API) is a 400 that says what to fix."""
    alice = next(u for u in world.idp_config.users if u.username == "alice")
    world.idp_config.users[world.idp_config.users.index(alice)] = replace(alice, first_name="Al\x1bice")
    c = Client(world.idp)
    form = forms(redirect(c, authn_request(world)).get_data(as_text=True))[0]
    r = c.post("/login", data={**form.fields, "username": "alice", "password": "alice-pw"})
    assert r.status_code == 400 and reason(r) == "user-data-invalid"
    assert "correct the user at the IdP" in r.get_data(as_text=True)
