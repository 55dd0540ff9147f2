"""The HTML report and the diagram geometry: plain text, no Qt, reused by the GUI and the CLI."""

from __future__ import annotations

from harness.core.report import (
    COLORS,
    answer_text,
    diagram_layout,
    diagram_svg,
    outcome_line,
    render_html,
    signature_rows,
    summary_rows,
)
from harness.core.trace import Check, Message, MessageSummary, SignatureInfo, Step, Trace


def _trace(refused: bool = False) -> Trace:
    sig = SignatureInfo(
        element="Assertion",
        element_id="_a1",
        reference_uri="#_a1",
        transforms=["enveloped", "exc-c14n"],
        sig_alg="rsa-sha256",
        digest_alg="sha256",
        digest_stated="abc=",
        digest_computed="abc=",
        digest_ok=True,
        value_ok=not refused,
        verdict="The Assertion is signed by CN=new, but this subscription trusts CN=old <script>."
        if refused
        else "The signature verifies with the trusted certificate.",
    )
    msg = Message(
        param="SAMLResponse",
        binding="HTTP-POST",
        raw="PHNhbWxwOlJlc3BvbnNlLz4=",
        xml='<samlp:Response ID="_r1"><saml:Assertion ID="_a1"/></samlp:Response>',
        summary=MessageSummary(kind="Response", id="_r1", issuer="https://idp", name_id="alice", audiences=["SP"]),
        signatures=[sig],
    )
    steps = [
        Step(
            1,
            0.0,
            "browser",
            "sp",
            "GET",
            "http://sp/fo/login.php?idm_key=1",
            302,
            label="GET /fo/login.php → 302 + AuthnRequest",
        ),
        Step(
            2, 0.0, "browser", "idp", "POST", "http://idp/login", 200, label="POST /login → 200 + Response", message=msg
        ),
        Step(
            3,
            0.0,
            "browser",
            "sp",
            "POST",
            "http://sp/IdM/saml2/",
            403 if refused else 303,
            label="POST /IdM/saml2/ (Response)",
            verdict="refused" if refused else "ok",
            code="signature-invalid" if refused else "session",
            reason="bad signature" if refused else "Session opened for alice",
            login=None if refused else "alice",
            message=msg,
            checks=[Check("Destination", True, "ok"), Check("Assertion signature", not refused, "x")],
        ),
    ]
    return Trace(
        title="SP-initiated login",
        flow="sp",
        subscription="1",
        user="alice",
        steps=steps,
        outcome="refused" if refused else "session",
        login=None if refused else "alice",
    )


def test_layout_has_one_arrow_per_step_coloured_by_verdict():
    trace = _trace(refused=True)
    lay = diagram_layout(trace.steps, 900)
    assert [a.index for a in lay.arrows] == [1, 2, 3]
    assert [lane.actor for lane in lay.lanes] == ["browser", "sp", "idp"]
    assert lay.arrows[2].color == COLORS["refused"] and lay.arrows[1].color == COLORS["saml"]
    assert lay.arrows[1].x2 == lay.lane_x("idp")
    assert lay.row_at(lay.arrows[2].y) == 2 and lay.row_at(-5) is None


def test_answer_text_names_the_verdict_and_the_failing_check():
    trace = _trace(refused=True)
    assert answer_text(trace.steps[2]).startswith("403 ✘ signature-invalid")
    assert "✘ Assertion signature" in answer_text(trace.steps[2])
    assert "✔ session: alice" in answer_text(_trace().steps[2])


def test_outcome_line():
    assert outcome_line(_trace()) == ("ok", "✔ Session opened for alice.")
    level, text = outcome_line(_trace(refused=True))
    assert level == "refused" and "step 3" in text and "signature-invalid" in text


def test_rows_in_plain_words():
    labels = [k for k, _, _ in summary_rows(_trace().steps[1].message.summary)]
    assert labels[:3] == ["Message", "ID", "Issuer"] and "Audience" in labels
    rows = signature_rows(_trace(refused=True).steps[1].message.signatures[0])
    assert ("Signature value", "does not verify with the trusted certificate", False) in rows


def test_html_report_is_self_contained_and_escaped():
    html = render_html(_trace(refused=True))
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html and "signature-invalid" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<link" not in html and "src=" not in html
    svg = diagram_svg(_trace().steps)
    assert svg.count("<polygon") == 6  # request and answer arrowheads
