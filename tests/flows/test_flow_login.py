"""Whole logins in-process (werkzeug test client): SP- and IdP-initiated, both IdP bindings,
TOTP at the IdP, logout to the exit URL, /whoami, metadata and the events the apps report."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from lxml import etree
from saml_helpers import (
    EXIT_URL,
    IDM_KEY,
    TOTP_SECRET,
    World,
    assert_refused,
    forms,
    reason,
    saml_form,
)

from samlkit import codec, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def test_whoami_is_401_before_login(world: World) -> None:
    status, body = world.browser().whoami()
    assert (status, body) == (401, {"authenticated": False})


def test_sp_initiated_login(world: World) -> None:
    b = world.browser()
    rid, r = b.start()
    loc = urlsplit(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == world.sub.idp_sso_url
    request_xml = etree.fromstring(codec.decode_redirect(parse_qs(loc.query)["SAMLRequest"][0]))
    assert request_xml.tag == ns.q(ns.SAMLP, "AuthnRequest")
    assert request_xml.get("AssertionConsumerServiceURL") == world.sp_config.acs_url
    assert request_xml.findtext(ns.q(ns.SAML, "Issuer")) == world.sp_config.entity_id

    page = b.idp_get(r.headers["Location"])
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    done = b.sign_in(page, "alice", "alice-pw")
    form = saml_form(done.get_data(as_text=True))
    response_xml = etree.fromstring(codec.decode_post(form.fields["SAMLResponse"]))
    assert response_xml.get("InResponseTo") == rid

    acs = b.deliver(done)
    assert acs.status_code == 303, reason(acs)
    assert acs.headers["Location"] == "/home"
    cookie = next(h for h in acs.headers.getlist("Set-Cookie") if h.startswith("sp_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    status, body = b.whoami()
    assert status == 200
    assert body["authenticated"] is True
    assert (body["login"], body["subscription"], body["via"]) == ("alice", IDM_KEY, "saml")
    home = b.sp.get("/home").get_data(as_text=True)
    assert 'id="login">alice<' in home


def test_the_request_is_deleted_once_answered(world: World) -> None:
    b = world.browser()
    assert b.login().status_code == 303
    assert world.sp.store.count_requests() == 0


def test_relay_state_is_honoured_for_local_paths(world: World) -> None:
    b = world.browser()
    r = b.login(relay_state="/reports/latest?tab=2")
    assert r.status_code == 303 and r.headers["Location"] == "/reports/latest?tab=2"


def test_idp_initiated_login(world: World) -> None:
    b = world.browser()
    r = b.idp_initiated("alice")
    assert r.status_code == 303 and r.headers["Location"] == "/home"
    assert b.whoami()[1]["login"] == "alice"


def test_idp_initiated_with_relay_state(world: World) -> None:
    b = world.browser()
    r = b.idp_initiated("dave", relay_state="/fo/scans")
    assert r.status_code == 303 and r.headers["Location"] == "/fo/scans"


def test_idp_start_page_lists_the_sp(world: World) -> None:
    b = world.browser()
    html = b.idp.get("/").get_data(as_text=True)
    assert "Vendor SP" in html and "/start?sp=" in html


def test_idp_http_post_binding(world: World) -> None:
    """The same AuthnRequest, posted to /sso with the HTTP-POST binding (plain base64)."""
    b = world.browser()
    rid, r = b.start()
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    xml = codec.decode_redirect(query["SAMLRequest"][0])
    page = b.idp.post("/sso", data={"SAMLRequest": codec.encode_post(xml), "RelayState": "/fo/scans"})
    assert page.status_code == 200, reason(page)
    done = b.sign_in(page, "alice", "alice-pw")
    form = saml_form(done.get_data(as_text=True))
    assert form.fields["RelayState"] == "/fo/scans"
    acs = b.deliver(done)
    assert acs.status_code == 303 and acs.headers["Location"] == "/fo/scans"
    assert b.whoami()[1]["login"] == "alice"
    bindings = [e.binding for e in world.events if e.kind == "saml" and e.actor == "idp" and e.direction == "recv"]
    assert bindings == ["HTTP-POST"]


def test_idp_session_is_reused_for_a_second_login(world: World) -> None:
    b = world.browser()
    assert b.login().status_code == 303
    b.log_out()
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    assert "SAMLResponse" in page.get_data(as_text=True)  # no login form: the IdP session answers
    assert b.deliver(page).status_code == 303


def test_auto_post_form_works_without_javascript(world: World) -> None:
    b = world.browser()
    _, r = b.start()
    html = b.sign_in(b.idp_get(r.headers["Location"]), "alice", "alice-pw").get_data(as_text=True)
    assert "<noscript>" in html and '<button type="submit">' in html and ".submit()" in html


def test_totp_second_factor(world: World) -> None:
    b = world.browser()
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    mfa_page = b.sign_in(page, "tina", "tina-pw")
    assert mfa_page.status_code == 200
    mfa = next(f for f in forms(mfa_page.get_data(as_text=True)) if f.action == "/mfa")
    assert "SAMLResponse" not in mfa_page.get_data(as_text=True)

    wrong = b.idp.post("/mfa", data={**mfa.fields, "code": "000000"})
    assert wrong.status_code == 401 and "not valid" in wrong.get_data(as_text=True)

    done = b.idp.post("/mfa", data={**mfa.fields, "code": pyotp.TOTP(TOTP_SECRET).now()})
    xml = etree.fromstring(codec.decode_post(saml_form(done.get_data(as_text=True)).fields["SAMLResponse"]))
    assert xml.findtext(f".//{ns.q(ns.SAML, 'AuthnContextClassRef')}") == ns.AC_MFA
    acs = b.deliver(done)
    assert acs.status_code == 303
    assert b.whoami()[1]["login"] == "tina"


def test_totp_code_from_another_window_is_refused(world: World) -> None:
    b = world.browser()
    old = pyotp.TOTP(TOTP_SECRET).at(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    _, r = b.start()
    mfa_page = b.sign_in(b.idp_get(r.headers["Location"]), "tina", "tina-pw")
    mfa = next(f for f in forms(mfa_page.get_data(as_text=True)) if f.action == "/mfa")
    assert b.idp.post("/mfa", data={**mfa.fields, "code": old}).status_code == 401


def test_wrong_password_at_the_idp(world: World) -> None:
    b = world.browser()
    _, r = b.start()
    page = b.sign_in(b.idp_get(r.headers["Location"]), "alice", "nope")
    assert page.status_code == 401
    assert "Wrong username or password" in page.get_data(as_text=True)
    assert "SAMLResponse" not in page.get_data(as_text=True)


def test_logout_goes_to_the_exit_url(world: World) -> None:
    b = world.browser()
    b.login()
    r = b.log_out()
    assert r.status_code == 302 and r.headers["Location"] == EXIT_URL
    assert b.whoami()[0] == 401


def test_logout_without_exit_url_goes_to_a_local_page(new_world) -> None:
    w = new_world(sub={"exit_url": ""})
    b = w.browser()
    b.login()
    r = b.log_out()
    assert r.status_code == 302 and r.headers["Location"] == "/fo/logged-out"
    assert b.sp.get("/fo/logged-out").status_code == 200
    assert b.whoami()[0] == 401


def test_logout_without_a_session(world: World) -> None:
    r = world.browser().log_out()
    assert r.status_code == 302 and r.headers["Location"] == "/fo/logged-out"


def test_sessions_belong_to_their_browser(world: World) -> None:
    a, other = world.browser(), world.browser()
    a.login()
    assert a.whoami()[0] == 200
    assert other.whoami()[0] == 401


def test_sp_metadata(world: World) -> None:
    b = world.browser()
    r = b.sp.get("/metadata", query_string={"idm_key": IDM_KEY})
    assert r.status_code == 200 and r.mimetype == "application/samlmetadata+xml"
    md = etree.fromstring(r.get_data())
    assert md.get("entityID") == world.sp_config.entity_id
    acs = md.find(f".//{ns.q(ns.MD, 'AssertionConsumerService')}")
    assert acs.get("Location") == world.sp_config.acs_url and acs.get("Binding") == ns.BINDING_POST
    assert b.sp.get("/metadata").status_code == 200
    assert_refused(b.sp.get("/metadata", query_string={"idm_key": "nope"}), "unknown-subscription", 404)


def test_idp_metadata(world: World) -> None:
    r = world.browser().idp.get("/metadata")
    md = etree.fromstring(r.get_data())
    assert md.get("entityID") == world.idp_config.entity_id
    locations = {e.get("Binding"): e.get("Location") for e in md.iter(ns.q(ns.MD, "SingleSignOnService"))}
    assert locations == {ns.BINDING_REDIRECT: world.idp_config.sso_url, ns.BINDING_POST: world.idp_config.sso_url}


def test_home_lists_the_unique_login_urls(world: World) -> None:
    html = world.browser().sp.get("/").get_data(as_text=True)
    assert (
        world.sp_config.login_url(IDM_KEY).replace("&", "&amp;") in html or world.sp_config.login_url(IDM_KEY) in html
    )


def test_events_tell_the_whole_story(world: World) -> None:
    b = world.browser()
    b.login()
    saml = [(e.actor, e.direction, e.binding, e.param) for e in world.events if e.kind == "saml"]
    assert saml == [
        ("sp", "send", "HTTP-Redirect", "SAMLRequest"),
        ("idp", "recv", "HTTP-Redirect", "SAMLRequest"),
        ("idp", "send", "HTTP-POST", "SAMLResponse"),
        ("sp", "recv", "HTTP-POST", "SAMLResponse"),
    ]
    (verdict,) = world.verdicts()
    assert verdict.ok and verdict.code == "session" and verdict.login == "alice"
    names = [c.name for c in verdict.checks]
    for check in ("XML safety", "Assertion signature", "Audience", "Recipient", "InResponseTo", "Replay", "Mapping"):
        assert check in names
    assert all(c.ok for c in verdict.checks)
    https = [(e.actor, e.method, e.status) for e in world.events if e.kind == "http"]
    assert ("sp", "POST", 303) in https and ("idp", "GET", 200) in https


def test_unknown_page(world: World) -> None:
    assert_refused(world.browser().sp.get("/nope"), "not-found", 404)
    assert reason(world.browser().idp.get("/nope")) == "not-found"
