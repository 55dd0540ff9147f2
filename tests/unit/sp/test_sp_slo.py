"""sp.slo: when the SP's logout sends a LogoutRequest, and what it says when it cannot."""

from __future__ import annotations

from csp_check import directives
from saml_helpers import IDP_BASE, keys
from slo_helpers import slo_world

from samlkit import binding, logout

OWN = {"Sec-Fetch-Site": "none"}  # the tester clicks Log out themselves


def _logged_in(world):
    b = world.browser()
    assert b.login("alice").status_code == 303
    return b


def test_with_an_idp_slo_url_the_logout_goes_to_the_idp_first(new_world) -> None:
    b = _logged_in(slo_world(new_world))
    r = b.sp.get("/fo/logout.php", headers=OWN)
    assert r.status_code == 302 and r.headers["Location"].startswith(IDP_BASE + "/slo?SAMLRequest=")
    assert b.whoami()[0] == 401  # the SP session ended before the browser left


def test_without_a_signing_key_the_logout_is_local_and_says_why(new_world) -> None:
    world = slo_world(new_world, sp_config={"key_pem": b"", "cert_pem": b""})
    b = _logged_in(world)
    r = b.sp.get("/fo/logout.php", headers=OWN)
    assert r.status_code == 200 and "the SP has no signing key" in r.get_data(as_text=True)
    assert b.whoami()[0] == 401
    assert [e.code for e in world.verdicts()][-1] == "slo-unavailable"


def test_a_session_not_opened_by_saml_logs_out_locally(new_world) -> None:
    b = slo_world(new_world).browser()
    r = b.sp.get("/fo/logout.php", headers=OWN)  # no session at all
    assert r.status_code == 302 and r.headers["Location"] == "/fo/logged-out"


def test_an_idp_logout_without_an_sp_signing_key_ends_the_session_and_says_it_cannot_answer(new_world) -> None:
    world = slo_world(new_world, sp_config={"key_pem": b"", "cert_pem": b""})
    b = _logged_in(world)
    root = logout.logout_request(
        issuer=world.idp_config.entity_id, destination=world.sp_config.slo_url, name_id="alice"
    )
    out = binding.send(
        root,
        param="SAMLRequest",
        binding="redirect",
        relay_state=None,
        key_pem=keys().idp.key_pem,
        cert_pem=keys().idp.cert_pem,
    )
    r = b.sp.get("/IdM/saml2/slo", query_string=out.location.split("?", 1)[1])
    assert r.status_code == 200 and "no signing key to answer with" in r.get_data(as_text=True)
    assert b.whoami()[0] == 401


def test_the_logout_response_page_may_show_in_a_frame_of_the_idp_only(new_world) -> None:
    """The IdP tells each SP in a frame of its logout page: the SP's self-posting answer is framable
    by the IdP's origin (CSP frame-ancestors), X-Frame-Options DENY kept for everyone else."""
    from slo_helpers import SLO_PATH

    world = slo_world(new_world, sub={"slo_binding": "post"})
    b = _logged_in(world)
    (session,) = world.idp.sessions.snapshot()
    p = session.participants[world.sp_config.entity_id]
    root = logout.logout_request(
        issuer=world.idp_config.entity_id,
        destination=world.sp_config.slo_url,
        name_id=p.name_id,
        session_index=p.session_index,
    )
    out = binding.send(
        root, param="SAMLRequest", binding="redirect", relay_state=None,
        key_pem=keys().idp.key_pem, cert_pem=keys().idp.cert_pem,
    )  # fmt: skip
    r = b.sp.get(SLO_PATH, query_string=out.location.split("?", 1)[1])
    assert r.status_code == 200 and "SAMLResponse" in r.get_data(as_text=True)
    policy = directives(r.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == [IDP_BASE] and "form-action" not in policy  # it posts to the IdP
    assert r.headers["X-Frame-Options"] == "DENY"
