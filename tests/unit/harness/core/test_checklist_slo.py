"""The checklist's logout step with Single Logout: it follows the LogoutResponse to the exit URL,
and names the IdP when Single Logout does not complete."""

from __future__ import annotations

from dataclasses import replace

from harness.core.checklist import FAIL, PASS, run_demo
from harness.core.servers import Servers


def _run(ws):
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        return run_demo(servers, idm_key="4711", username="alice")


def test_single_logout_then_the_exit_url_passes(demo) -> None:
    step = _run(demo).step("logout")
    assert step.status == PASS and "exit URL" in step.reason
    assert any(s.message and s.message.summary.kind == "LogoutResponse" for s in _run(demo).trace.steps)


def test_an_idp_that_refuses_the_logout_request_fails_the_step_on_the_idp_side(demo) -> None:
    (settings,) = demo.idp_for_sps()
    demo.save_idp_for_sp(replace(settings, sp_certificate=demo.keypair("idp-old").cert_pem.decode()))
    step = _run(demo).step("logout")
    assert step.status == FAIL and step.side == "IdP"
    assert "the IdP refused the SP's LogoutRequest: signature-invalid" in step.reason
