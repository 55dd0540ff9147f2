"""A LogoutRequest that reaches the mock IdP without its session cookie (a cross-site HTTP-POST:
the cookie is SameSite=Lax) over loopback HTTP: the IdP finds the session from the signed request's
NameID and SessionIndex, and never ends another user's session."""

from __future__ import annotations

from dataclasses import replace

import pytest
from slo_helpers import SLO_PATH, signed_in

from harness.core.browser import ScriptedBrowser
from harness.core.servers import Servers
from mock_idp.contract import SESSION_COOKIE
from samlkit import binding, logout

pytestmark = pytest.mark.usefixtures("no_process_spawned")



@pytest.fixture
def servers(demo):
    sub = demo.subscription("4711")
    demo.save_subscription(replace(sub, slo_binding="post"))  # the SP posts its LogoutRequest
    with Servers(demo, sp_port=0, idp_port=0) as s:
        s.events = []  # type: ignore[attr-defined]
        s.add_listener(s.events.append)  # type: ignore[attr-defined]
        yield s


def _idp_verdicts(servers: Servers) -> list:
    return [e for e in servers.events if e.kind == "verdict" and e.actor == "idp"]  # type: ignore[attr-defined]






def _drop_idp_cookie(b: ScriptedBrowser) -> None:
    """What a cross-site POST does to a SameSite=Lax cookie: it does not come along."""
    jar = b.session.cookies
    for c in [c for c in jar if c.name == SESSION_COOKIE]:
        jar.clear(c.domain, c.path, c.name)
    assert not any(c.name == SESSION_COOKIE for c in jar)


def _session_of(servers: Servers, user: str):
    (s,) = [s for s in servers.idp_app.sessions.snapshot() if s.username == user]
    return s


def test_a_posted_logout_request_without_the_idp_cookie_ends_the_session_it_names(servers, opened) -> None:
    alice, bob = signed_in(servers, opened, "alice"), signed_in(servers, opened, "bob")
    _drop_idp_cookie(alice)
    bob_index = _session_of(servers, "bob").participants
    page = alice.navigate(servers.sp_base + "/fo/logout.php")
    assert page.status == 200 and not page.reason_code, (page.url, page.status, page.reason_code)
    assert page.url == servers.idp_base + "/"  # the exit URL, after the IdP's Success
    assert alice.get(servers.sp_base + "/whoami").status == 401
    users = [s.username for s in servers.idp_app.sessions.snapshot()]
    assert users == ["bob"]  # alice's IdP session ended, found by NameID and SessionIndex; bob's stays
    assert _session_of(servers, "bob").participants == bob_index and bob.get(servers.sp_base + "/whoami").status == 200
    verdict = _idp_verdicts(servers)[-1]
    assert verdict.ok and verdict.code == "logged-out"
    (session_check,) = [c for c in verdict.checks if c.name == "Session"]
    assert "no session cookie" in session_check.detail


def test_a_logout_request_naming_another_users_session_index_ends_nothing(servers, opened) -> None:
    """The SP's own key signs a LogoutRequest for alice carrying bob's SessionIndex: no session has
    both, so nothing ends (RequestDenied, logout-session-unknown)."""
    alice, bob = signed_in(servers, opened, "alice"), signed_in(servers, opened, "bob")
    bobs = _session_of(servers, "bob")
    sp_entity = next(iter(bobs.participants))
    kp = servers.workspace.keypair("sp-signing")
    for name_id in ("alice", ""):
        root = logout.logout_request(
            issuer=sp_entity,
            destination=servers.idp_base + "/slo",
            name_id=name_id or bobs.participants[sp_entity].name_id + " ",  # bob, but not exactly
            session_index=bobs.participants[sp_entity].session_index,
        )
        out = binding.send(
            root, param="SAMLRequest", binding="post", relay_state=None, key_pem=kp.key_pem, cert_pem=kp.cert_pem
        )
        stranger = ScriptedBrowser(None)  # no IdP cookie at all
        opened.append(stranger)
        page = stranger.post(out.destination, {"SAMLRequest": out.value})
        assert page.url.startswith(servers.sp_base + SLO_PATH)  # the IdP answered the SP
        verdicts = _idp_verdicts(servers)
        assert (verdicts[-1].ok, verdicts[-1].code) == (False, "logout-session-unknown")
    assert sorted(s.username for s in servers.idp_app.sessions.snapshot()) == ["alice", "bob"]
    assert bob.get(servers.sp_base + "/whoami").status == 200
    assert alice.get(servers.sp_base + "/whoami").status == 200


def test_without_a_session_index_the_cookieless_request_ends_nothing(servers, opened) -> None:
    signed_in(servers, opened, "alice")
    sp_entity = next(iter(_session_of(servers, "alice").participants))
    kp = servers.workspace.keypair("sp-signing")
    root = logout.logout_request(issuer=sp_entity, destination=servers.idp_base + "/slo", name_id="alice")
    out = binding.send(
        root, param="SAMLRequest", binding="post", relay_state=None, key_pem=kp.key_pem, cert_pem=kp.cert_pem
    )
    stranger = ScriptedBrowser(None)
    opened.append(stranger)
    stranger.post(out.destination, {"SAMLRequest": out.value})
    assert [s.username for s in servers.idp_app.sessions.snapshot()] == ["alice"]
