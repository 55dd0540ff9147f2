"""harness.core.logout_flow: a logout counts only when both sessions ended and nothing refused."""

from __future__ import annotations

from harness.core.logout_flow import LogoutOutcome


def test_ok_needs_both_sessions_ended_and_no_refusal() -> None:
    assert LogoutOutcome(sp_session_ended=True, idp_session_ended=True).ok
    assert not LogoutOutcome(sp_session_ended=True, idp_session_ended=False).ok
    assert not LogoutOutcome(sp_session_ended=True, idp_session_ended=True, reason="signature-invalid").ok
    d = LogoutOutcome(sp_session_ended=True, detail="the IdP is unreachable").to_dict()
    assert d["ok"] is False and d["detail"] == "the IdP is unreachable"
