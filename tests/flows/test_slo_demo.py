"""Single Logout on the demo workspace over loopback HTTP, with the scripted browser (run_flow)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.core.flow import run_flow
from harness.core.servers import Servers
from harness.core.trace import Trace

pytestmark = pytest.mark.usefixtures("no_process_spawned")


@pytest.fixture
def servers(demo):
    with Servers(demo, sp_port=0, idp_port=0) as s:
        yield s


@pytest.mark.parametrize("kind", ["logout", "idp-logout"])
def test_both_logouts_end_both_sessions_with_every_hop_checked(servers, kind) -> None:
    r = run_flow(servers, kind=kind, idm_key="4711", username="alice")
    assert r.session_login == "alice" and r.logout is not None
    assert r.logout.ok and r.as_expected, r.logout
    assert r.trace.outcome == "logged-out"
    logout_steps = [s for s in r.trace.steps if s.message and s.message.summary.kind.startswith("Logout")]
    kinds = [(s.dst, s.message.summary.kind) for s in logout_steps]
    if kind == "logout":
        assert kinds == [("sp", "LogoutRequest"), ("idp", "LogoutRequest"), ("sp", "LogoutResponse")]
    else:
        assert kinds == [("idp", "LogoutRequest"), ("sp", "LogoutRequest"), ("idp", "LogoutResponse")]
    for s in logout_steps:
        (sig,) = s.message.signatures
        assert sig.value_ok, (s.label, sig.verdict)  # the recorder checks the query signature too
        assert s.explanation
    checked = {c.name for s in logout_steps for c in s.checks}
    assert {"Signature", "Destination", "Issuer"} <= checked
    assert {"SessionIndex", "InResponseTo"} & checked
    assert Trace.from_json(r.trace.to_json()) == r.trace


def test_a_logout_the_idp_refuses_still_ends_the_sp_session(demo) -> None:
    """The IdP has another certificate for the SP: it refuses the LogoutRequest, the SP session is gone anyway."""
    other = demo.keypair("idp-old").cert_pem.decode()
    (settings,) = demo.idp_for_sps()
    demo.save_idp_for_sp(replace(settings, sp_certificate=other))
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        r = run_flow(servers, kind="logout", idm_key="4711", username="alice")
    assert r.session_login == "alice" and not r.logout.ok
    assert r.logout.sp_session_ended and not r.logout.idp_session_ended
    assert r.logout.reason == "signature-invalid" and r.trace.outcome == "refused"


def test_an_unreachable_idp_slo_url_still_ends_the_sp_session_and_the_trace_says_why(demo) -> None:
    sub = demo.subscription("4711")
    demo.save_subscription(replace(sub, idp_slo_url="http://127.0.0.1:9/slo"))  # nothing listens on port 9
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        r = run_flow(servers, kind="logout", idm_key="4711", username="alice")
    assert r.session_login == "alice" and r.logout.sp_session_ended and not r.logout.ok
    assert "could not complete" in r.logout.detail and "127.0.0.1:9/slo" in r.logout.detail
    assert r.trace.outcome == "incomplete" and "could not complete" in r.trace.outcome_detail
