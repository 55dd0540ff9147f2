"""checklist.judge over hand-built traces: every step's verdict without servers or a browser."""

from __future__ import annotations

from pathlib import Path

from harness.core.checklist import FAIL, PASS, SKIP, ChecklistReport, Expectation, judge
from harness.core.questionnaire import Questionnaire
from harness.core.trace import Message, MessageSummary, Step, Trace
from samlkit.events import Check
from sp.contract import SESSION, Route
from sp.model import Account, Subscription

CERT = (Path(__file__).resolve().parents[5] / "fixtures" / "demo" / "keys" / "idp-signing.crt.pem").read_text()
SP = "http://127.0.0.1:8443"
IDP = "http://127.0.0.1:8444"
SUB = Subscription(
    idm_key="4711",
    name="Demo Corp",
    exit_url=IDP + "/",
    idp_entity_id=IDP + "/metadata",
    idp_cert_pem=b"",
    idp_sso_url=IDP + "/sso",
    accounts=[Account("alice", saml_enabled=True, role="Manager"), Account("carol", saml_enabled=False)],
)


def expectation(expected: str | None = "alice") -> Expectation:
    header = ChecklistReport(
        idm_key="4711",
        subscription="Demo Corp",
        mode="demo",
        login_url=f"{SP}{Route.LOGIN}?idm_key=4711",
        questionnaire=Questionnaire(idp_entity_id=IDP + "/metadata", idp_certificate=CERT, idp_sso_url=IDP + "/sso"),
        sp_entity_id="QualysGuard_SharedPlatformSAML20SP",
        acs_url=SP + Route.ACS,
    )
    return Expectation(
        header=header,
        sub=SUB,
        login_path=str(Route.LOGIN),
        acs_path=str(Route.ACS),
        expected=expected,
        predicted_identity=expected,
    )


def message(kind: str, **summary: object) -> Message:
    return Message(summary=MessageSummary(kind=kind, **summary))  # type: ignore[arg-type]


def hop(dst: str, path: str, status: int, **kw: object) -> Step:
    base = SP if dst == "sp" else IDP
    return Step(index=0, time=0.0, src="browser", dst=dst, url=base + path, status=status, **kw)  # type: ignore[arg-type]


def login_trace(acs: Step, *extra: Step) -> Trace:
    steps = [
        hop("sp", Route.LOGIN, 302, location=IDP + "/sso?SAMLRequest=x", message=message("AuthnRequest", id="_r1")),
        hop("idp", "/sso", 200, message=message("AuthnRequest", id="_r1")),
        hop("idp", "/login", 200, message=message("Response", name_id="alice", status="urn:...:Success")),
        acs,
        *extra,
    ]
    for i, s in enumerate(steps, 1):
        s.index = i
    return Trace(steps=steps)


def accepted(login: str = "alice") -> Step:
    mapping = Check("Mapping", True, f"NameID {login!r} matched login of {login}")
    return hop(
        "sp",
        Route.ACS,
        303,
        verdict="ok",
        code=SESSION,
        login=login,
        checks=[mapping],
        message=message("Response", name_id=login),
    )


def verdicts(report: ChecklistReport) -> dict[str, str]:
    return {s.key: s.status for s in report.steps}


def test_a_complete_login_and_logout_passes_every_step() -> None:
    logout = hop("sp", Route.LOGOUT, 302, location=IDP + "/")
    r = judge(login_trace(accepted(), logout), expectation())
    assert verdicts(r) == {
        "trust": PASS,
        "saml-enabled": PASS,
        "external-id": SKIP,
        "open-url": PASS,
        "idp-auth": PASS,
        "session": PASS,
        "logout": PASS,
    }
    assert r.passed and r.identity == "alice" and r.account == "alice"


def test_a_refusal_at_the_acs_names_the_side_to_fix() -> None:
    refused = hop(
        "sp",
        Route.ACS,
        400,
        verdict="refused",
        code="audience-mismatch",
        reason="The Audience is not this SP.",
        message=message("Response", name_id="alice"),
    )
    r = judge(login_trace(refused), expectation())
    s = r.step("session")
    assert (s.status, s.side) == (FAIL, "IdP") and "audience-mismatch" in s.reason
    assert "QualysGuard_SharedPlatformSAML20SP" in s.fix
    assert r.step("logout").status == SKIP


def test_a_session_for_another_account_fails() -> None:
    r = judge(login_trace(accepted("carol")), expectation("alice"))
    assert r.step("session").status == FAIL and "expected alice" in r.step("session").reason


def test_a_wrong_password_fails_at_the_idp() -> None:
    t = login_trace(hop("idp", "/login", 401))
    t.steps = [s for s in t.steps if not (s.message and s.message.summary.kind == "Response")]
    r = judge(t, expectation())
    assert (r.step("idp-auth").status, r.step("idp-auth").side) == (FAIL, "IdP")
    assert "password" in r.step("idp-auth").reason and r.step("session").status == SKIP


def test_an_empty_trace_never_opened_the_url() -> None:
    r = judge(Trace(), expectation())
    assert (r.step("open-url").status, r.step("open-url").side) == (FAIL, "browser")


def test_a_real_browser_names_the_account_from_the_trace() -> None:
    r = judge(login_trace(accepted()), expectation(None), interactive=True)
    assert r.account == "alice" and r.step("saml-enabled").status == PASS


def test_every_fix_the_checklist_knows_is_for_a_reason_the_sp_has() -> None:
    from harness.core.checklist.trace_steps import _ACS_FIX
    from sp.contract import Reason

    assert set(_ACS_FIX) <= set(Reason)
