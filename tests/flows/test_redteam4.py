"""Fourth red team: the round's new surface (encrypted assertions, Single Logout, tenants, the user API).

Holes found and fixed (each test below failed before its fix):
- Redirect binding: the signature was checked over the raw query's parameters by raw name, the
  message read from Werkzeug's parsed query, which URL-decodes names: `SAML%52equest=<forged>&
  SAMLRequest=<signed>&SigAlg=…&Signature=…` ended anyone's session with any captured IdP-signed
  LogoutRequest, and smuggled unsigned AuthnRequests past the mock IdP's signature requirement.
- A LogoutRequest without NotOnOrAfter (optional), or with a far one, stayed valid forever once
  the replay cache forgot its ID: its IssueInstant now bounds it.
- A LogoutRequest's NameID was trimmed ('alice ' ended alice's sessions); login matches exactly.
- A forged LogoutResponse naming the pending LogoutRequest used it up before any check (at the
  SP, and at the mock IdP, whose logout run then stopped).
- An EncryptedID inside the Assertion's own ds:Signature (not covered by it) was decrypted.
- One IdP onboarded by two subscriptions: its LogoutRequest ended nothing when the session was in
  the second one.
(The user API throttle's race is in tests/unit/sp/test_sp_api_throttle.py.)
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from lxml import etree
from saml_helpers import IDP_BASE, SP_BASE, assert_refused, forms, keys, reason, saml_form, subscription
from slo_helpers import SLO_PATH, Walker, redirect_message, slo_world

from samlkit import binding, codec, logout, ns, xmlenc

pytestmark = pytest.mark.usefixtures("no_process_spawned")


@pytest.fixture
def two_sessions(new_world):
    """alice and dave are logged in at the SP (each in their own browser); dave is the attacker."""
    world = slo_world(new_world)
    victim = world.browser()
    assert victim.login("alice").status_code == 303
    attacker = world.browser()
    assert attacker.login("dave").status_code == 303
    return world, victim, attacker


def _signed_query(world, name_id: str, index: str = "") -> str:
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id=name_id, session_index=index
    )
    out = binding.send(
        root,
        param="SAMLRequest",
        binding="redirect",
        relay_state=None,
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    return out.location.split("?", 1)[1]


def _forged_value(world, name_id: str) -> str:
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id=name_id, session_index=""
    )
    return codec.encode_redirect(etree.tostring(root))


@pytest.mark.parametrize("spelling", ["SAML%52equest", "SAMLReques%74", "%53AMLRequest", "SAMLRequest"])
def test_an_encoded_parameter_name_cannot_smuggle_an_unsigned_logout_request(two_sessions, spelling) -> None:
    """The IdP signed a LogoutRequest for dave (the attacker's own logout, captured); an unsigned one
    for alice rides in front of it under a URL-encoded parameter name."""
    world, victim, attacker = two_sessions
    signed = _signed_query(world, "dave")
    forged = _forged_value(world, "alice")
    query = f"{spelling}={quote_plus(forged)}&{signed}"
    r = attacker.sp.get(SLO_PATH, query_string=query)
    assert_refused(r, "signature-invalid")
    assert victim.whoami()[0] == 200, "alice's session was ended by an unsigned LogoutRequest"
    assert attacker.whoami()[0] == 200  # nothing was acted on


def test_a_relay_state_smuggled_under_an_encoded_name_is_refused(two_sessions) -> None:
    world, _, attacker = two_sessions
    signed = _signed_query(world, "dave")
    r = attacker.sp.get(SLO_PATH, query_string=f"Relay%53tate={quote_plus('https://evil.example/')}&{signed}")
    assert_refused(r, "signature-invalid")
    assert attacker.whoami()[0] == 200


def test_the_captured_signed_logout_request_alone_ends_only_its_own_session(two_sessions) -> None:
    """The control: the signed query as sent works, and ends dave's session only."""
    world, victim, attacker = two_sessions
    r = attacker.sp.get(SLO_PATH, query_string=_signed_query(world, "dave"))
    assert r.status_code in (200, 302), (r.status_code, r.headers.get("X-SAML-Reason"))
    assert attacker.whoami()[0] == 401 and victim.whoami()[0] == 200


def test_the_idp_reads_the_authn_request_its_signature_covers(new_world) -> None:
    """The same smuggle at the mock IdP: an unsigned AuthnRequest under `SAML%52equest` in front of
    the SP's signed one is refused with the signature error Response, not served a login form."""
    kp = keys().sp
    world = slo_world(
        new_world,
        sub={"sign_authn_requests": True},
        idp_sp={"want_authn_requests_signed": True},
        sp_config={"key_pem": kp.key_pem, "cert_pem": kp.cert_pem},
    )
    b = world.browser()
    _, start = b.start()
    location = start.headers["Location"]
    unsigned = etree.fromstring(codec.decode_redirect(parse_qs(urlsplit(location).query)["SAMLRequest"][0]))
    unsigned.set("ID", "_smuggled")
    forged = codec.encode_redirect(etree.tostring(unsigned))
    base, query = location.split("?", 1)
    page = b.idp_get(f"{base}?SAML%52equest={quote_plus(forged)}&{query}")
    body = page.get_data(as_text=True)
    assert not any(f.action == "/login" for f in forms(body))  # no login form for the unsigned one
    resp = etree.fromstring(codec.decode_post(saml_form(body).fields["SAMLResponse"]))
    status = resp.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusCode')}")
    assert status[0].get("Value") == "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
    assert "signature-invalid" in "".join(resp.itertext())


# -- replaying an IdP-signed LogoutRequest after the replay cache forgot it ------------------------


def _signed_old_request(world, name_id: str, *, age: dt.timedelta, drop_not_on_or_after: bool) -> str:
    """An IdP-signed LogoutRequest for every session of `name_id` (no SessionIndex), issued `age` ago."""
    root = logout.logout_request(
        issuer=world.idp_config.entity_id,
        destination=SP_BASE + SLO_PATH,
        name_id=name_id,
        session_index="",
        now=dt.datetime.now(dt.UTC) - age,
    )
    if drop_not_on_or_after:
        del root.attrib["NotOnOrAfter"]  # optional in SAML; its absence must not make it valid forever
    else:
        root.set("NotOnOrAfter", "2999-01-01T00:00:00Z")
    out = binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None,
        key_pem=keys().idp.key_pem, cert_pem=keys().idp.cert_pem,
    )  # fmt: skip
    return out.location.split("?", 1)[1]


@pytest.mark.parametrize("drop", [True, False], ids=["no-NotOnOrAfter", "NotOnOrAfter-far-away"])
def test_a_captured_logout_request_issued_long_ago_ends_no_session(two_sessions, drop) -> None:
    """The replay cache keeps a LogoutRequest ID for minutes; a signed one captured a day ago (with
    no NotOnOrAfter, or a far one) must not end alice's new session once the cache forgot it."""
    world, victim, attacker = two_sessions
    query = _signed_old_request(world, "alice", age=dt.timedelta(days=1), drop_not_on_or_after=drop)
    assert_refused(attacker.sp.get(SLO_PATH, query_string=query), "expired")
    assert victim.whoami()[0] == 200


def test_a_logout_request_issued_in_the_future_is_refused(two_sessions) -> None:
    world, victim, attacker = two_sessions
    query = _signed_old_request(world, "alice", age=-dt.timedelta(days=1), drop_not_on_or_after=False)
    assert_refused(attacker.sp.get(SLO_PATH, query_string=query), "not-yet-valid")
    assert victim.whoami()[0] == 200


def test_a_logout_request_without_issue_instant_is_refused(two_sessions) -> None:
    world, victim, attacker = two_sessions
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id="alice", session_index=""
    )
    del root.attrib["IssueInstant"]
    out = binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None,
        key_pem=keys().idp.key_pem, cert_pem=keys().idp.cert_pem,
    )  # fmt: skip
    assert_refused(attacker.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "time-missing")
    assert victim.whoami()[0] == 200


# -- encrypted identifiers where no signature covers them ------------------------------------------


def _enc_world(new_world):
    k = keys().sp_encryption
    return new_world(
        sub={"encryption_key_pem": k.key_pem, "encryption_cert_pem": k.cert_pem}, idp_sp={"sign": "assertion"}
    )


@pytest.mark.parametrize("where", ["KeyInfo", "Object"])
def test_encrypted_identifiers_inside_the_assertions_signature_are_refused_not_decrypted(new_world, where) -> None:
    """The enveloped signature covers the Assertion minus its own ds:Signature: an EncryptedID (or
    256 of them, each an RSA decryption) added there after signing is attacker content, refused."""
    world = _enc_world(new_world)

    def inject(_resp: etree._Element, a: etree._Element) -> None:
        sig = a.find(ns.q(ns.DS, "Signature"))
        tag = ns.q(ns.DS, where)
        holder = sig.find(tag) if sig.find(tag) is not None else etree.SubElement(sig, tag)
        for _ in range(3):
            name_id = etree.SubElement(holder, ns.q(ns.SAML, "NameID"))
            name_id.text = "dave"
            xmlenc.encrypt_name_id(name_id, keys().sp_encryption.cert_pem)

    b = world.browser()
    r = b.post_acs(world.forge(user="alice", after_sign=inject))
    assert 400 <= r.status_code < 500 and reason(r) in ("encrypted-malformed", "signature-invalid"), reason(r)
    assert b.whoami()[0] == 401
    assert b.post_acs(world.forge(user="alice")).status_code == 303  # the control: untouched, it logs in


# -- a LogoutRequest names its NameID exactly --------------------------------------------------------


@pytest.mark.parametrize("spelling", ["alice ", " alice", "\nalice\n", "alice\t"])
def test_a_signed_logout_request_for_another_spelling_of_the_name_id_ends_no_session(two_sessions, spelling) -> None:
    """NameIDs are opaque and matched exactly at login (no trimming, `sp.mapping`); the SLO endpoint
    trimmed them, so the IdP's LogoutRequest for the principal 'alice ' (say, an e-mail NameID a user
    can edit) ended the sessions of 'alice'."""
    world, victim, attacker = two_sessions
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id=spelling, session_index=""
    )
    out = binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None,
        key_pem=keys().idp.key_pem, cert_pem=keys().idp.cert_pem,
    )  # fmt: skip
    assert_refused(attacker.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "logout-session-unknown")
    assert victim.whoami()[0] == 200


# -- a forged LogoutResponse does not use up the pending LogoutRequest ------------------------------


def test_a_forged_logout_response_does_not_use_up_the_request_it_names(new_world) -> None:
    """The SP waits for the IdP's answer to its LogoutRequest; an unsigned LogoutResponse naming that
    request is refused, and the IdP's genuine answer still completes the logout afterwards."""
    world = slo_world(new_world)
    b = world.browser()
    assert b.login("alice").status_code == 303
    r = b.sp.get("/fo/logout.php", headers={"Sec-Fetch-Site": "none"})
    request_id = redirect_message(r.headers["Location"])[0].get("ID")
    answer = logout.logout_response(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, in_response_to=request_id
    )
    forged = codec.encode_redirect(etree.tostring(answer))
    assert_refused(b.sp.get(SLO_PATH, query_string={"SAMLResponse": forged}), "signature-missing")
    out = binding.send(
        answer, param="SAMLResponse", binding="redirect", relay_state=None,
        key_pem=keys().idp.key_pem, cert_pem=keys().idp.cert_pem,
    )  # fmt: skip
    done = b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1])
    assert done.status_code == 302 and done.headers["Location"] == world.sub.exit_url, done.headers
    again = b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1])
    assert_refused(again, "in-response-to-unknown")  # answered once


# -- one IdP onboarded by two subscriptions: its LogoutRequest ends the session wherever it is ------


def test_an_idp_logout_ends_the_session_in_the_second_subscription_that_trusts_it(new_world) -> None:
    """Both subscriptions trust the same IdP (EntityID and certificate): the IdP's signed
    LogoutRequest verifies for the first one, but the user's session is in the second. It ended
    nothing (logout-session-unknown), so the session outlived the user's logout at the IdP."""
    second = subscription(idm_key="2002", name="Globex", idp_slo_url=IDP_BASE + "/slo")
    world = slo_world(new_world)
    world.sp_config.subscriptions.append(second)
    b = world.browser()
    assert b.login("alice", idm_key="2002").status_code == 303
    index = world.idp.sessions.snapshot()[0].participants[world.sp_config.entity_id].session_index
    query = _signed_query(world, "alice", index)
    r = b.sp.get(SLO_PATH, query_string=query)
    assert r.status_code in (200, 302), (r.status_code, reason(r))
    assert b.whoami()[0] == 401
    again = b.sp.get(SLO_PATH, query_string=query)  # acted on once: nothing is left to end
    assert 400 <= again.status_code < 500 and reason(again) in ("replayed", "logout-session-unknown")


def test_another_tenants_idp_with_the_same_entity_id_ends_no_session_here(new_world) -> None:
    """Subscription 2002 trusts the same EntityID with its own IdP's certificate: that IdP's signed
    LogoutRequest verifies for 2002 only, and ends nothing in 1001."""
    other = subscription(idm_key="2002", name="Globex", idp_cert_pem=keys().foreign.cert_pem)
    world = slo_world(new_world)
    world.sp_config.subscriptions.append(other)
    b = world.browser()
    assert b.login("alice").status_code == 303  # a session in 1001
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=SP_BASE + SLO_PATH, name_id="alice", session_index=""
    )
    out = binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None,
        key_pem=keys().foreign.key_pem, cert_pem=keys().foreign.cert_pem,
    )  # fmt: skip
    assert_refused(b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1]), "logout-session-unknown")
    assert b.whoami()[0] == 200


def test_the_idp_keeps_its_logout_run_when_a_forged_logout_response_names_it(new_world) -> None:
    """IdP-initiated logout waits for the SP's LogoutResponse; an unsigned one naming the same request
    is refused at the IdP's /slo, and the SP's genuine answer still completes the run."""
    world = slo_world(new_world)
    b = world.browser()
    assert b.login("alice").status_code == 303
    # the logout page, opened by the tester: the SP's LogoutRequest in a frame
    fan_out = b.idp.get("/logout", headers={"Sec-Fetch-Site": "none"})
    (src,) = Walker._frames(fan_out)
    start = b.idp.get(src)
    assert start.status_code == 302, start.status_code
    request_id = redirect_message(start.headers["Location"])[0].get("ID")
    forged = logout.logout_response(
        issuer=world.sp_config.entity_id, destination=world.idp_config.slo_url, in_response_to=request_id
    )
    refused = b.idp.get("/slo", query_string={"SAMLResponse": codec.encode_redirect(etree.tostring(forged))})
    assert refused.status_code == 400 and refused.headers["X-SAML-Reason"] == "signature-missing"
    framed = Walker(b).go(start.headers["Location"])
    assert framed.status_code == 200 and "✔ logged out" in framed.get_data(as_text=True)
    done = Walker._form(fan_out, IDP_BASE + "/logout", after_frames=True)
    page = Walker(b).go(done[0], "POST", done[1])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Signed out" in text and "✔ logged out" in text, text[-400:]
    assert page.headers["X-SAML-Logout"] == "complete"
    assert b.whoami()[0] == 401
