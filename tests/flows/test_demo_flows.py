"""Both flows for every demo user, over real loopback HTTP with real signatures."""

import json

import pytest

from harness.core.flow import run_flow
from harness.core.servers import Servers
from harness.core.trace import Trace
from harness.core.workspace import Workspace

EXPECTED = {
    "alice": ("session", "alice"),
    "bob": ("session", "demo_bb"),
    "carol": ("saml-disabled-for-user", None),
    "dave": ("picker", "demo_dd1"),
    "erin": ("user-not-found", None),
    "frank": ("session", "frank"),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    ws = Workspace.demo(tmp_path_factory.mktemp("demo") / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as s:
        yield s
    ws.close()


@pytest.mark.parametrize("kind", ["sp", "idp"])
@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_demo_user(servers, kind, user):
    outcome, login = EXPECTED[user]
    r = run_flow(servers, kind=kind, idm_key="4711", username=user)
    assert r.expected.outcome == outcome
    assert r.as_expected, (r.final_status, r.final_reason, r.whoami)
    assert r.session_login == login
    if login is None:
        assert 400 <= r.final_status < 500 and r.final_reason == outcome
        acs = [s for s in r.trace.steps if s.dst == "sp" and s.message and s.message.summary.kind == "Response"]
        assert acs[-1].verdict == "refused" and acs[-1].code == outcome
        assert r.trace.outcome == "refused"
    else:
        assert r.whoami == {**r.whoami, "authenticated": True, "via": "saml", "subscription": "4711"}
        assert r.trace.outcome == "session" and r.trace.login == login


def test_sp_initiated_trace_shows_each_message(servers):
    r = run_flow(servers, kind="sp", idm_key="4711", username="alice")
    kinds = [(s.dst, s.message.summary.kind if s.message else "") for s in r.trace.steps]
    assert kinds[:4] == [("sp", "AuthnRequest"), ("idp", "AuthnRequest"), ("idp", "Response"), ("sp", "Response")]
    request_id = r.trace.steps[0].message.summary.id
    response = r.trace.steps[2].message
    assert response.summary.in_response_to == request_id
    assert response.summary.name_id == "alice"
    assert {s.element for s in response.signatures} == {"Response", "Assertion"}
    assert all(s.value_ok and s.digest_ok and s.cert_matches for s in response.signatures)
    checks = {c.name: c.ok for c in r.trace.steps[3].checks}
    for name in ("Assertion signature", "Audience", "Recipient", "InResponseTo", "Replay", "Mapping"):
        assert checks[name] is True
    # the trace survives JSON
    again = Trace.from_json(r.trace.to_json())
    assert again == r.trace


def test_logout_goes_to_exit_url(servers):
    r = run_flow(servers, kind="sp", idm_key="4711", username="alice", logout=True)
    logout = [s for s in r.trace.steps if s.url.endswith("/fo/logout.php")]
    assert logout and logout[0].status == 302
    # the demo trusts an IdP with an SLO URL: Single Logout first, then the exit URL
    assert logout[0].location.startswith(servers.idp_base + "/slo?SAMLRequest=")
    landing = [s for s in r.trace.steps if s.dst == "sp" and s.url.split("?")[0].endswith("/IdM/saml2/slo")]
    assert landing and landing[0].location == servers.idp_base + "/"


def test_wrong_password_opens_no_session(servers):
    r = run_flow(servers, kind="sp", idm_key="4711", username="alice", password="wrong")
    assert r.session_login is None and r.final_status == 401


def test_picker_choice_is_honoured(servers):
    r = run_flow(servers, kind="sp", idm_key="4711", username="dave", pick="demo_dd2")
    assert r.session_login == "demo_dd2"


def test_edit_then_reload_changes_the_outcome(tmp_path):
    ws = Workspace.demo(tmp_path / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as s:
        sub = ws.subscription("4711")
        carol = next(a for a in sub.accounts if a.login == "carol")
        carol.saml_enabled = True
        ws.save_subscription(sub)
        s.reload()
        assert run_flow(s, kind="sp", idm_key="4711", username="carol").session_login == "carol"
        # a subscription trusting the wrong certificate refuses with a signature reason
        sub.idp_cert_pem = ws.keypair("idp-old").cert_pem
        ws.save_subscription(sub)
        s.reload()
        r = run_flow(s, kind="sp", idm_key="4711", username="alice")
        assert r.session_login is None and r.final_reason == "signature-invalid"
        bad = next(x for x in r.trace.steps if x.verdict == "refused")
        sig = bad.message.signatures[0]
        assert sig.cert_matches is False and "old" not in sig.keyinfo_subject
    ws.close()


def test_cli_flow_exit_codes(tmp_path, capsys):
    from harness.core.cli import main

    ws = str(tmp_path / "ws")
    assert main(["--workspace", ws, "flow", "sp", "--user", "alice"]) == 0
    assert "session opened for alice" in capsys.readouterr().out
    assert main(["--workspace", ws, "flow", "idp", "--user", "erin"]) == 1
    assert main(["--workspace", ws, "flow", "sp", "--user", "erin", "--expect", "user-not-found"]) == 0
    capsys.readouterr()
    assert main(["--workspace", ws, "flow", "sp", "--user", "bob", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["whoami"]["login"] == "demo_bb" and data["trace"]["steps"]
    assert main(["--workspace", ws, "flow", "sp", "--user", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err


def test_cli_flow_writes_report_and_trace(tmp_path):
    from harness.core.cli import main

    report, saved = tmp_path / "run.html", tmp_path / "run.json"
    ws = str(tmp_path / "ws")
    assert main(["--workspace", ws, "flow", "sp", "--user", "carol", "--expect", "saml-disabled-for-user",
                 "--report", str(report), "--save-trace", str(saved)]) == 0
    html = report.read_text()
    assert "saml-disabled-for-user" in html and "<script" not in html
    trace = Trace.from_json(saved.read_text())
    whoami = [s for s in trace.steps if s.url.endswith("/whoami")]
    assert whoami and whoami[0].verdict == "info", "a 401 from /whoami is an answer, not a refusal"
    assert trace.outcome == "refused" and trace.outcome_detail.startswith("saml-disabled-for-user")
