"""A harness trace written as HAR and read back gives the same steps, checks and outcome."""

from __future__ import annotations

import json

import pytest

from harness.core.capture.expectations import Expectations
from harness.core.capture.har_write import trace_to_har
from harness.core.capture.load import read_capture
from harness.core.capture.to_trace import capture_to_trace
from harness.core.flow import run_flow
from harness.core.servers import Servers


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from harness.core.workspace import Workspace

    ws = Workspace.demo(tmp_path_factory.mktemp("ws") / "demo")
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        yield servers
    ws.close()


def _shape(trace):
    return [
        (s.dst, s.method, s.url, s.status, s.message.summary.kind if s.message else "", s.verdict, s.code)
        for s in trace.steps
        if s.message is not None or s.dst in ("sp", "idp")
    ]


def _expectations(servers):
    sub = servers.sp_app.config.subscription("4711")
    return Expectations(
        idp_entity_id=sub.idp_entity_id,
        idp_sso_url=sub.idp_sso_url,
        sp_entity_id=servers.sp_app.config.entity_id,
        acs_url=servers.sp_app.config.acs_url,
        idp_certs=[sub.idp_cert_pem],
    )


@pytest.mark.parametrize(("kind", "user"), [("sp", "alice"), ("idp", "bob"), ("sp", "erin")])
def test_har_round_trip_keeps_the_steps(served, kind, user):
    result = run_flow(served, kind=kind, idm_key="4711", username=user)
    har = json.dumps(trace_to_har(result.trace)).encode()
    back = capture_to_trace(read_capture(har), expectations=_expectations(served))
    saml_steps = [s for s in result.trace.steps]
    assert [x[:5] for x in _shape(back)] == [x[:5] for x in _shape(result.trace) if x[0] in ("sp", "idp")]
    assert len(back.steps) == len(saml_steps)
    assert back.outcome == ("refused" if user == "erin" else "session")
    if user == "erin":
        refused = back.first_failure()
        assert refused is not None and refused.code == "user-not-found"


def test_imported_response_is_checked_against_the_questionnaire(served):
    result = run_flow(served, kind="sp", idm_key="4711", username="alice")
    har = json.dumps(trace_to_har(result.trace)).encode()
    back = capture_to_trace(read_capture(har), expectations=_expectations(served))
    acs = next(s for s in back.steps if s.message and s.message.summary.kind == "Response" and s.dst == "sp")
    checks = {c.name: c.ok for c in acs.checks}
    assert checks["issuer"] and checks["audience"] and checks["destination"] and checks["certificate"]
    assert checks["signature on Assertion"] is True

    wrong = _expectations(served)
    wrong.idp_entity_id = "urn:wrong:idp"
    back = capture_to_trace(read_capture(har), expectations=wrong)
    acs = next(s for s in back.steps if s.message and s.message.summary.kind == "Response" and s.dst == "sp")
    issuer = next(c for c in acs.checks if c.name == "issuer")
    assert issuer.ok is False and "fix the questionnaire" in issuer.detail
