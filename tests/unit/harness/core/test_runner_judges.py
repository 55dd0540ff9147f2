"""The judges over the runner's data (flow.judge, load.judge), with hand-built traces and
observations: no servers, no browser."""

from __future__ import annotations

from harness.core import flow, load
from harness.core.browser import Page
from harness.core.runner import Observations, Run
from harness.core.trace import Trace

ALICE = {"authenticated": True, "login": "alice", "subscription": "4711", "via": "saml"}


def expected_session(login: str = "alice") -> flow.Expectation:
    return flow.Expectation("session", [login], f"NameID {login!r} matched login of {login}")


def test_a_flow_that_opened_the_predicted_session_is_as_expected() -> None:
    done = Run(Trace(outcome="session", login="alice"), Observations(final_status=200, whoami=ALICE), 0.01)
    r = flow.judge(done, expected_session())
    assert r.session_login == "alice" and r.as_expected
    assert r.trace.outcome == "session"


def test_a_refusal_names_its_code_and_matches_a_predicted_refusal() -> None:
    seen = Observations(final_status=403, final_reason="saml-disabled-for-user", whoami={"authenticated": False})
    r = flow.judge(Run(Trace(), seen, 0.01), flow.Expectation("saml-disabled-for-user", [], "SAML is off"))
    assert r.trace.outcome == "refused" and r.trace.outcome_detail == "saml-disabled-for-user"
    assert r.as_expected and r.session_login is None


def test_a_session_for_another_account_is_not_as_expected() -> None:
    done = Run(Trace(), Observations(final_status=200, whoami=ALICE), 0.01)
    assert not flow.judge(done, expected_session("bob")).as_expected


def test_an_unfinished_flow_is_incomplete() -> None:
    r = flow.judge(Run(Trace(), Observations(final_status=200), 0.01), expected_session())
    assert r.trace.outcome == "incomplete" and not r.as_expected


def test_load_judges_a_login_by_its_browser() -> None:
    seen = Observations(final_status=200, whoami=ALICE, session_token="t1", pages=[Page("http://sp/home", 200, "")])
    ok = load.judge(load.Login(1, "alice", "alice", "session"), seen, "idp")
    assert ok.error == "" and ok.login == "alice" and ok.session_token == "t1"
    wrong = load.judge(load.Login(2, "bob", "demo_bb", "session"), seen, "idp")
    assert wrong.error == "expected the session of demo_bb, got the session of alice"


def test_load_reports_a_refusal_that_was_not_predicted_and_a_browser_failure() -> None:
    refused = Observations(final_status=400, final_reason="user-not-found", whoami={"authenticated": False})
    got = load.judge(load.Login(1, "erin", "erin", "session"), refused, "sp")
    assert got.error == "expected the session of erin, got no session (user-not-found)"
    predicted = load.judge(load.Login(2, "erin", "", "user-not-found"), refused, "sp")
    assert predicted.error == ""
    broken = load.judge(load.Login(3, "alice", "alice", "session"), Observations(error="GET x failed"), "sp")
    assert broken.error == "GET x failed"
