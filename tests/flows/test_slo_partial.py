"""IdP-initiated Single Logout with two SPs, over loopback HTTP, where the first refuses or fails:
the mock IdP still sends its LogoutRequest to the other, ends its own session, and reports a
partial logout with each SP's result (its final page, its verdict event, the flow's outcome)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from lxml import etree
from slo_helpers import BrokenSP, register_broken_sp

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.logout_flow import check_sessions, log_out
from harness.core.servers import Servers
from samlkit import codec, logout, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")

OTHER = "https://other-sp.example/saml"


@pytest.fixture(params=[403, 500])
def world(request, demo) -> Iterator[tuple[Servers, BrokenSP]]:
    other = BrokenSP(request.param)
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        base = servers.add_app(other)
        register_broken_sp(demo, OTHER, base)
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


def test_an_sp_initiated_logout_answers_partial_logout_when_another_sp_refuses(world) -> None:
    servers, other = world
    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    try:
        assert "signed in" in browser.get(servers.idp_start_url(OTHER, user="alice")).text
        assert browser.get(servers.login_url("4711")).url.startswith(servers.sp_base)
        outcome, _ = log_out(servers, browser, "logout")  # the embedded SP starts it
        check_sessions(servers, browser, "4711", outcome)
    finally:
        browser.close()
    assert other.slo_hits == 1
    assert outcome.sp_session_ended and outcome.idp_session_ended and not outcome.reason, outcome
    answers = [e for e in servers.events if e.kind == "saml" and e.actor == "idp" and e.param == "SAMLResponse"]
    (answer,) = [e for e in answers if e.direction == "send" and "/saml2/slo" in e.url]  # not the logins
    view = logout.read_response(etree.fromstring(codec.decode_redirect(answer.value)))
    assert (view.status, view.sub_status) == (ns.STATUS_SUCCESS, logout.STATUS_PARTIAL_LOGOUT)
    idp = [e for e in servers.events if e.kind == "verdict" and e.actor == "idp"]
    assert (idp[-1].ok, idp[-1].code) == (False, "partial-logout")
    sp_verdict = [e for e in servers.events if e.kind == "verdict" and e.actor == "sp"][-1]
    assert sp_verdict.ok and "PartialLogout" in next(c.detail for c in sp_verdict.checks if c.name == "Status")


def test_flow_idp_logout_prints_each_sps_result(tmp_path, capsys) -> None:
    """The only SP's SLO URL at the IdP is wrong (a 404 page, no LogoutResponse): the CLI says the
    logout was partial and lists the SP as not logged out."""
    from dataclasses import replace

    from harness.core.cli import main
    from harness.core.workspace import Workspace

    ws = Workspace.demo(tmp_path / "ws")
    (settings,) = ws.idp_for_sps()
    ws.save_idp_for_sp(replace(settings, slo_url="{sp}/no-such-slo"))
    ws.close()
    assert main(["--workspace", str(tmp_path / "ws"), "flow", "idp-logout", "--user", "alice"]) == 1
    out = capsys.readouterr().out
    assert "the logout did not complete — partial logout at the IdP" in out, out[-800:]
    assert "Vendor SP (embedded): NOT logged out — no LogoutResponse came back" in out
    assert main(["--workspace", str(tmp_path / "ws"), "flow", "idp-logout", "--user", "alice", "--json"]) == 1
    services = json.loads(capsys.readouterr().out)["logout"]["services"]
    assert services == [{"name": "Vendor SP (embedded)", "ok": False, "detail": services[0]["detail"]}]
