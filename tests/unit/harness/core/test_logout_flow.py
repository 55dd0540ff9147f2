"""harness.core.logout_flow: a logout counts only when both sessions ended and nothing refused."""

from __future__ import annotations

from harness.core.logout_flow import LogoutOutcome


def test_ok_needs_both_sessions_ended_and_no_refusal() -> None:
    assert LogoutOutcome(sp_session_ended=True, idp_session_ended=True).ok
    assert not LogoutOutcome(sp_session_ended=True, idp_session_ended=False).ok
    assert not LogoutOutcome(sp_session_ended=True, idp_session_ended=True, reason="signature-invalid").ok
    d = LogoutOutcome(sp_session_ended=True, detail="the IdP is unreachable").to_dict()
    assert d["ok"] is False and d["detail"] == "the IdP is unreachable"


def test_the_idps_final_page_gives_each_sps_result() -> None:
    from harness.core.logout_flow import ServiceResult, service_results

    html = (
        "<table><tr><th>Service</th></tr>"
        '<tr data-service-result="not-logged-out"><td>A &lt;b&gt;</td><td>✘</td><td>no LogoutResponse</td></tr>'
        '<tr data-service-result="logged-out"><td>B</td><td>✔</td><td>Success</td></tr>'
        '<tr data-service-result="skipped"><td>C</td><td>–</td><td>no SLO URL</td></tr>'
        '<tr data-service-result="bogus"><td>D</td><td>?</td><td>?</td></tr></table>'
    )
    assert service_results(html) == [
        ServiceResult("A <b>", False, "no LogoutResponse"),
        ServiceResult("B", True, "Success"),
        ServiceResult("C", None, "no SLO URL"),
    ]
    assert service_results("") == []
