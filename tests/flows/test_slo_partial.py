"""IdP-initiated Single Logout with two SPs, over loopback HTTP, where the first refuses or fails:
the mock IdP still sends its LogoutRequest to the other, ends its own session, and reports a
partial logout with each SP's result (its final page, its verdict event, the flow's outcome)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slo_helpers import BrokenSP

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.logout_flow import check_sessions, log_out
from harness.core.servers import Servers
from harness.core.workspace_records import IdPForSP

pytestmark = pytest.mark.usefixtures("no_process_spawned")

OTHER = "https://other-sp.example/saml"


@pytest.fixture(params=[403, 500])
def world(request, demo) -> Iterator[tuple[Servers, BrokenSP]]:
    other = BrokenSP(request.param)
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        base = servers.add_app(other)
        demo.save_idp_for_sp(
            IdPForSP(
                entity_id=OTHER,
                name="Broken SP",
                acs_url=base + "/acs",
                slo_url=base + "/slo",
                sp_certificate=demo.keypair("idp-old").cert_pem.decode(),
            )
        )
        servers.reload()
        servers.events = []  # type: ignore[attr-defined]
        servers.add_listener(servers.events.append)  # type: ignore[attr-defined]
        yield servers, other


def test_a_refusing_sp_does_not_stop_the_logout_of_the_others(world) -> None:
    servers, other = world
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    try:
        # The broken SP first (its LogoutRequest goes first), then the embedded SP, in one IdP session.
        assert "signed in" in browser.get(servers.idp_start_url(OTHER, user="alice")).text
        assert browser.get(servers.login_url("4711")).url.startswith(servers.sp_base)
        (session,) = servers.idp_app.sessions.snapshot()
        assert next(iter(session.participants)) == OTHER and len(session.participants) == 2
        outcome, page = log_out(servers, browser, "idp-logout")
        check_sessions(servers, browser, "4711", outcome)
    finally:
        browser.close()
    assert other.slo_hits == 1
    assert outcome.sp_session_ended and outcome.idp_session_ended  # the embedded SP was logged out all the same
    assert not outcome.ok and "partial" in outcome.detail and "Broken SP" in outcome.detail, outcome
    assert page is not None and page.url.startswith(servers.idp_base) and page.status == 200
    assert page.headers.get("X-SAML-Logout") == "partial"
    results = {s.name: (s.ok, s.detail) for s in outcome.services}
    assert results["Broken SP"][0] is False and "no LogoutResponse" in results["Broken SP"][1]
    assert results["Vendor SP (embedded)"] == (True, "Success")
    final = [e for e in servers.events if e.kind == "verdict" and e.actor == "idp"][-1]
    assert (final.ok, final.code) == (False, "partial-logout")
    assert [(c.name, c.ok) for c in final.checks] == [("Broken SP", False), ("Vendor SP (embedded)", True)]
