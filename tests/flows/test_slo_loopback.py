"""Single Logout between the embedded SP and the mock IdP, in process, both bindings, real keys."""

from __future__ import annotations

import pytest
from saml_helpers import EXIT_URL, IDP_BASE, SP_BASE, assert_refused, keys
from slo_helpers import SLO_PATH, Walker, redirect_message, slo_world

from samlkit import binding, logout, ns

OWN = {"Sec-Fetch-Site": "none"}  # the tester clicks Log out themselves

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def _logged_in(world):
    b = world.browser()
    r = b.login("alice")
    assert r.status_code == 303, r.headers.get("X-SAML-Reason")
    assert b.whoami()[0] == 200
    return b


@pytest.mark.parametrize("sp_binding,idp_binding", [("redirect", "redirect"), ("post", "post"), ("post", "redirect")])
def test_sp_initiated_logout_ends_both_sessions_and_lands_on_the_exit_url(new_world, sp_binding, idp_binding) -> None:
    world = slo_world(new_world, sub={"slo_binding": sp_binding}, idp_sp={"slo_binding": idp_binding})
    b = _logged_in(world)
    assert world.idp.sessions.count() == 1
    walk = Walker(b)
    walk.go(SP_BASE + "/fo/logout.php")
    assert walk.url == EXIT_URL, walk.visited
    assert [u.split("?")[0] for _, u, _ in walk.visited] == [
        SP_BASE + "/fo/logout.php",
        IDP_BASE + "/slo",
        SP_BASE + SLO_PATH,
    ]
    assert b.whoami()[0] == 401 and world.idp.sessions.count() == 0
    verdicts = [(e.actor, e.ok, e.code) for e in world.verdicts() if e.code == "logged-out"]
    assert verdicts == [("idp", True, "logged-out"), ("sp", True, "logged-out")]
    sp_checks = [c.name for c in world.verdicts()[-1].checks]
    assert sp_checks == ["InResponseTo", "Issuer", "Signature", "Destination", "Status"]
    # the IdP session is gone too: the next login asks for the password again
    _, start = b.start()
    assert "password" in b.idp_get(start.headers["Location"]).get_data(as_text=True)


def test_the_logout_request_names_the_sessions_nameid_and_session_index(new_world) -> None:
    world = slo_world(new_world)
    b = _logged_in(world)
    participant = world.idp.sessions.snapshot()[0].participants[world.sp_config.entity_id]
    r = b.sp.get("/fo/logout.php", headers=OWN)
    root, q = redirect_message(r.headers["Location"])
    view = logout.read_request(root)
    assert (view.name_id, view.session_indexes) == ("alice", [participant.session_index])
    assert view.destination == IDP_BASE + "/slo" and view.issuer == world.sp_config.entity_id
    assert q["SigAlg"] == ns.SIG_ALGS["rsa-sha256"] and q["Signature"]


@pytest.mark.parametrize("sp_binding", ["redirect", "post"])
def test_idp_initiated_logout_logs_the_user_out_of_the_sp(new_world, sp_binding) -> None:
    world = slo_world(new_world, idp_sp={"slo_binding": sp_binding}, sub={"slo_binding": sp_binding})
    b = _logged_in(world)
    walk = Walker(b)
    page = walk.go(IDP_BASE + "/logout")
    assert walk.url.startswith(IDP_BASE + "/slo") and page.status_code == 200, walk.visited
    text = page.get_data(as_text=True)
    assert "Signed out" in text and "✔ logged out" in text
    assert b.whoami()[0] == 401 and world.idp.sessions.count() == 0
    sp_verdict = next(e for e in world.verdicts() if e.actor == "sp" and e.code == "logged-out")
    assert [c.name for c in sp_verdict.checks] == [
        "Issuer",
        "Signature",
        "Destination",
        "NotOnOrAfter",
        "IssueInstant",
        "NameID",
        "SessionIndex",
        "Replay",
    ]


def test_logout_without_an_idp_slo_url_is_local_only(new_world) -> None:
    world = slo_world(new_world, sub={"idp_slo_url": ""})
    b = _logged_in(world)
    r = b.sp.get("/fo/logout.php", headers=OWN)
    assert r.status_code == 302 and r.headers["Location"] == EXIT_URL
    assert b.whoami()[0] == 401 and world.idp.sessions.count() == 1


# -- refusals at the SP ---------------------------------------------------------------------------


def _idp_logout_request(world, *, name_id="alice", session_index="", key=None, destination=None):
    root = logout.logout_request(
        issuer=world.idp_config.entity_id,
        destination=destination or SP_BASE + SLO_PATH,
        name_id=name_id,
        session_index=session_index,
    )
    kp = key or keys().idp
    return binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None, key_pem=kp.key_pem, cert_pem=kp.cert_pem
    )


def _session_index(world) -> str:
    return world.idp.sessions.snapshot()[0].participants[world.sp_config.entity_id].session_index


@pytest.mark.parametrize(
    "case,code",
    [
        ("foreign-key", "signature-invalid"),
        ("wrong-session-index", "session-index-mismatch"),
        ("unknown-name-id", "logout-session-unknown"),
        ("wrong-destination", "destination-mismatch"),
    ],
)
def test_the_sp_refuses_a_bad_logout_request_and_keeps_the_session(new_world, case, code) -> None:
    world = slo_world(new_world)
    b = _logged_in(world)
    index = _session_index(world)
    kw = {
        "foreign-key": {"key": keys().foreign, "session_index": index},
        "wrong-session-index": {"session_index": "_not-this-one"},
        "unknown-name-id": {"name_id": "nobody", "session_index": index},
        "wrong-destination": {"destination": "http://elsewhere.test/slo", "session_index": index},
    }[case]
    out = _idp_logout_request(world, **kw)
    r = b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1])
    assert_refused(r, code)
    assert b.whoami()[0] == 200  # nothing ended on a refused request


def test_a_logout_request_is_acted_on_once(new_world) -> None:
    world = slo_world(new_world, sub={"idp_slo_url": ""})  # the SP then answers with a page, not a redirect
    b = _logged_in(world)
    query = _idp_logout_request(world).location.split("?", 1)[1]  # no SessionIndex: every session of alice
    assert b.sp.get(SLO_PATH, query_string=query).status_code == 200
    assert b.whoami()[0] == 401
    b.login("alice")
    assert_refused(b.sp.get(SLO_PATH, query_string=query), "replayed")
    assert b.whoami()[0] == 200


def test_an_unsigned_logout_request_is_refused(new_world) -> None:
    world = slo_world(new_world)
    b = _logged_in(world)
    out = _idp_logout_request(world, session_index=_session_index(world))
    unsigned = out.location.split("?", 1)[1].split("&SigAlg=")[0]
    assert_refused(b.sp.get(SLO_PATH, query_string=unsigned), "signature-missing")


def _pending_logout(world):
    b = _logged_in(world)
    r = b.sp.get("/fo/logout.php", headers=OWN)
    root, _ = redirect_message(r.headers["Location"])
    return b, root.get("ID")


def _logout_response(world, in_response_to, *, key=None, status=ns.STATUS_SUCCESS, message=None, bind="redirect"):
    root = logout.logout_response(
        issuer=world.idp_config.entity_id,
        destination=SP_BASE + SLO_PATH,
        in_response_to=in_response_to,
        status=status,
        sub_status=logout.STATUS_REQUEST_DENIED if status != ns.STATUS_SUCCESS else None,
        message=message,
    )
    kp = key or keys().idp
    return binding.send(
        root, param="SAMLResponse", binding=bind, relay_state=None, key_pem=kp.key_pem, cert_pem=kp.cert_pem
    )


def test_a_badly_signed_logout_response_still_ends_the_sp_session_and_says_why(new_world) -> None:
    world = slo_world(new_world)
    b, request_id = _pending_logout(world)
    out = _logout_response(world, request_id, key=keys().foreign, bind="post")
    r = b.sp.post(SLO_PATH, data={"SAMLResponse": out.value})
    assert_refused(r, "signature-invalid")
    assert "single logout did not complete" in r.get_data(as_text=True)
    assert b.whoami()[0] == 401


def test_an_error_status_in_the_logout_response_is_shown_as_plain_text(new_world) -> None:
    world = slo_world(new_world)
    b, request_id = _pending_logout(world)
    out = _logout_response(world, request_id, status=ns.STATUS_RESPONDER, message="<b>IdP down</b>")
    r = b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1])
    assert_refused(r, "status-not-success")
    text = r.get_data(as_text=True)
    assert "&lt;b&gt;IdP down&lt;/b&gt;" in text and "<b>IdP down" not in text
    assert b.whoami()[0] == 401


def test_a_logout_response_is_taken_once_and_must_answer_a_request(new_world) -> None:
    world = slo_world(new_world)
    b, request_id = _pending_logout(world)
    out = _logout_response(world, request_id)
    query = out.location.split("?", 1)[1]
    assert b.sp.get(SLO_PATH, query_string=query).status_code == 302
    assert_refused(b.sp.get(SLO_PATH, query_string=query), "in-response-to-unknown")
    stranger = _logout_response(world, "_never-sent")
    assert_refused(b.sp.get(SLO_PATH, query_string=stranger.location.split("?", 1)[1]), "in-response-to-unknown")


def test_the_slo_endpoint_refuses_junk(world) -> None:
    b = world.browser()
    assert_refused(b.sp.get(SLO_PATH), "message-missing")
    assert_refused(b.sp.get(SLO_PATH, query_string={"SAMLRequest": "%%%"}), "malformed-message")


# -- refusals at the IdP --------------------------------------------------------------------------


def test_the_idp_refuses_a_logout_request_signed_by_another_key(new_world) -> None:
    world = slo_world(new_world, sp_config={"key_pem": keys().foreign.key_pem, "cert_pem": keys().foreign.cert_pem})
    b = _logged_in(world)
    walk = Walker(b)
    page = walk.go(SP_BASE + "/fo/logout.php")
    assert page.status_code == 400 and page.headers["X-SAML-Reason"] == "signature-invalid"
    assert b.whoami()[0] == 401  # the SP session ended anyway
    assert world.idp.sessions.count() == 1  # the IdP did not act on a forged request


def test_the_idp_answers_a_logout_for_another_session_with_an_error_status(new_world) -> None:
    """A browser signed in at the IdP as bob carries alice's LogoutRequest: its cookie names bob's
    session, which the request does not name, so nothing ends. (Without any IdP cookie the request
    names its own session: tests/flows/test_slo_without_idp_cookie.py.)"""
    world = slo_world(new_world)
    b = _logged_in(world)
    other = world.browser()
    other.login("bob")  # an IdP session for bob (whether or not the SP has an account for him)
    assert world.idp.sessions.count() == 2
    r = b.sp.get("/fo/logout.php", headers=OWN)
    walk = Walker(other)
    page = walk.go(r.headers["Location"])
    assert page.headers.get("X-SAML-Reason") == "status-not-success"
    assert "is not the one the IdP issued" in page.get_data(as_text=True)
    assert world.idp.sessions.count() == 2


def test_during_a_rollover_logout_messages_verify_with_either_trusted_certificate(new_world) -> None:
    """The subscription trusts an old and a new certificate; the IdP already signs with the new one."""
    world = slo_world(
        new_world, sub={"idp_cert_pem": keys().foreign.cert_pem, "idp_cert_pem_next": keys().idp.cert_pem}
    )
    b = _logged_in(world)
    walk = Walker(b)
    walk.go(SP_BASE + "/fo/logout.php")
    assert walk.url == EXIT_URL, walk.visited
    signature = next(c for c in world.verdicts()[-1].checks if c.name == "Signature")
    assert signature.ok and "the new certificate of the rollover" in signature.detail
