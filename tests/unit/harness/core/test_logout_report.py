"""The report's sentences and the recorder's explanations for Single Logout messages."""

from __future__ import annotations

from harness.core.recorder import explain_step
from harness.core.report import message_sentence
from harness.core.trace import Message, MessageSummary, SignatureInfo, Step


def test_logout_messages_are_told_in_words() -> None:
    req = Message(
        binding="HTTP-Redirect",
        signatures=[SignatureInfo("LogoutRequest")],
        summary=MessageSummary(kind="LogoutRequest", issuer="sp", name_id="alice", session_index="_1"),
    )
    assert message_sentence(req) == (
        "A logout request from sp in the URL (HTTP-Redirect binding): end the session of 'alice', session _1. Signed."
    )
    resp = Message(
        binding="HTTP-POST",
        summary=MessageSummary(
            kind="LogoutResponse",
            issuer="idp",
            in_response_to="_1",
            status="urn:oasis:names:tc:SAML:2.0:status:Success",
        ),
    )
    assert "answering _1, status Success. Not signed." in message_sentence(resp)


def test_logout_hops_are_explained_with_what_was_checked() -> None:
    msg = Message(summary=MessageSummary(kind="LogoutRequest"))
    start = Step(index=1, time=0, src="browser", dst="sp", url="http://sp/fo/logout.php", status=302, message=msg)
    assert explain_step(start).startswith("The SP ends its session and sends a signed LogoutRequest")
    refused = Step(
        index=2,
        time=0,
        src="browser",
        dst="idp",
        url="http://idp/slo",
        status=400,
        message=msg,
        verdict="refused",
        code="signature-invalid",
        reason="The signature does not hold.",
    )
    assert explain_step(refused) == "The IdP refused the LogoutRequest: The signature does not hold."
    answer = Step(
        index=3,
        time=0,
        src="browser",
        dst="sp",
        url="http://sp/IdM/saml2/slo",
        status=302,
        message=Message(summary=MessageSummary(kind="LogoutResponse")),
        verdict="ok",
        reason="Single logout completed for alice",
    )
    assert "InResponseTo" in explain_step(answer) and "completed for alice" in explain_step(answer)


def test_the_outcome_line_of_a_logout() -> None:
    from harness.core.report import outcome_line
    from harness.core.trace import Trace

    done = Trace(flow="logout", outcome="logged-out", outcome_detail="both sessions ended (SP and IdP)")
    assert outcome_line(done) == ("ok", "✔ Logged out: both sessions ended (SP and IdP).")
    broke = Trace(flow="idp-logout", outcome="incomplete", outcome_detail="the IdP is unreachable")
    level, text = outcome_line(broke)
    assert level == "refused" and "The logout did not complete: the IdP is unreachable" in text
