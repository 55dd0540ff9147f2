"""The guide's test procedure as a checklist: passing against the mock IdP, failing at the right step."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.checklist import FAIL, ORDER, PASS, SKIP, format_report, run_demo, run_interactive
from harness.core.cli import main
from harness.core.onboarding_report import render, write_report
from harness.core.servers import Servers
from harness.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


def statuses(report) -> dict[str, str]:
    return {s.key: s.status for s in report.steps}


def edit_account(ws: Workspace, login: str, **changes: object) -> None:
    sub = ws.subscription("4711")
    ws.save_subscription(
        replace(sub, accounts=[replace(a, **changes) if a.login == login else a for a in sub.accounts])
    )


def demo(ws: Workspace, user: str, **kw: object):
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        return run_demo(servers, idm_key="4711", username=user, **kw)


def test_passes_against_the_mock_idp(ws: Workspace) -> None:
    r = demo(ws, "alice")
    assert r.passed, format_report(r)
    assert statuses(r) == {**dict.fromkeys(ORDER, PASS), "external-id": SKIP}
    assert (r.account, r.identity) == ("alice", "alice")
    assert "logout redirected to the exit URL http://127.0.0.1:" in r.step("logout").reason
    assert r.step("session").evidence and r.verdict.startswith("PASSED")


def test_external_id_and_the_account_picker(ws: Workspace) -> None:
    r = demo(ws, "dave", account="demo_dd2")
    assert r.passed, format_report(r)
    assert r.step("external-id").reason == "External ID of demo_dd2 is 'dave', which the IdP sends"
    assert "session opened for demo_dd2 in Demo Corp after the account picker" in r.step("session").reason


def test_totp_second_factor(ws: Workspace) -> None:
    r = demo(ws, "frank")
    assert r.passed, format_report(r)
    assert "with a second factor (TOTP)" in r.step("idp-auth").reason
    assert any(s.url.endswith("/mfa") and s.status == 200 for s in r.trace.steps)


def test_a_wrong_totp_secret_fails_at_the_idp(ws: Workspace) -> None:
    u = ws.user("frank")
    ws.save_user(replace(u, totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"))
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        ws.save_user(u)  # the browser knows the right secret, the IdP the wrong one
        r = run_demo(servers, idm_key="4711", username="frank")
    f = r.first_failure
    assert (f.key, f.side) == ("idp-auth", "IdP") and "second-factor (TOTP) code" in f.reason


def test_a_wrong_certificate_fails_when_the_session_should_open(ws: Workspace) -> None:
    sub = ws.subscription("4711")
    ws.save_subscription(replace(sub, idp_cert_pem=ws.keypair("idp-old").cert_pem))
    r = demo(ws, "alice")
    f = r.first_failure
    assert f is not None and f.key == "session" and f.side == "questionnaire"
    assert f.reason.startswith("the SP refused the Response: signature-invalid")
    assert "The IdP signed with the certificate SHA-256" in f.reason and "the questionnaire gave SHA-256" in f.reason
    assert "current signing certificate" in f.fix
    assert statuses(r)["trust"] == PASS and statuses(r)["logout"] == SKIP


def test_an_expired_certificate_fails_the_trust_step(ws: Workspace) -> None:
    sub = ws.subscription("4711")
    ws.save_subscription(replace(sub, idp_cert_pem=ws.keypair("idp-expired").cert_pem))
    f = demo(ws, "alice").first_failure
    assert (f.key, f.side) == ("trust", "questionnaire") and "expired on" in f.reason


def test_a_wrong_external_id_fails_at_the_external_id_step(ws: Workspace) -> None:
    edit_account(ws, "demo_bb", external_id="bobby")
    r = demo(ws, "bob", account="demo_bb")
    f = r.first_failure
    assert r.account == "demo_bb"
    assert (f.key, f.side) == ("external-id", "SP")
    assert f.reason == "External ID of demo_bb is 'bobby', but the IdP sends 'bob'"
    assert "sets the External ID of demo_bb to 'bob'" in f.fix
    assert r.step("session").reason.startswith("the SP refused the Response: user-not-found")


def test_the_expected_account_is_the_sps_own_decision(ws: Workspace) -> None:
    """No account has bob's identity any more: the checklist predicts what the SP decides
    (no account), never a guess of its own (such as the account with bob's e-mail)."""
    edit_account(ws, "demo_bb", external_id="bobby")
    r = demo(ws, "bob")
    f = r.first_failure
    assert r.account == ""
    assert (f.key, f.side) == ("saml-enabled", "SP")
    assert f.reason.startswith(
        "no account in subscription Demo Corp corresponds to the test user (bob, identity 'bob')"
    )
    assert r.step("session").reason.startswith("the SP refused the Response: user-not-found")


def test_saml_disabled_fails_at_the_manager_step(ws: Workspace) -> None:
    r = demo(ws, "carol")
    f = r.first_failure
    assert (f.key, f.side, f.reason) == ("saml-enabled", "SP", "SAML is not enabled for carol")
    assert "A Manager enables SAML" in f.fix
    assert r.step("session").reason.startswith("the SP refused the Response: saml-disabled-for-user")
    assert not r.passed and r.verdict.startswith("FAILED at “A Manager enabled SAML for the test user”")


def test_without_nds_the_manager_step_names_it(ws: Workspace) -> None:
    ws.save_subscription(
        replace(
            ws.subscription("4711"),
            nds_enabled=False,
            accounts=[replace(a, saml_enabled=False) for a in ws.subscription("4711").accounts],
        )
    )
    r = demo(ws, "alice")
    assert (r.first_failure.key, r.first_failure.side) == ("saml-enabled", "SP")
    assert "New Data Security Model" in r.first_failure.reason
    assert r.step("open-url").status == FAIL and "nds-required" in r.step("open-url").reason


def test_a_wrong_password_fails_at_the_idp(ws: Workspace) -> None:
    r = demo(ws, "alice", password="nope")
    assert (r.first_failure.key, r.first_failure.side) == ("idp-auth", "IdP")
    assert "refused the username or password of alice" in r.first_failure.reason


def test_an_unregistered_sp_fails_at_the_idp_with_the_sp_details(ws: Workspace) -> None:
    ws.delete_idp_for_sp("QualysGuard_SharedPlatformSAML20SP")
    f = demo(ws, "alice").first_failure
    assert (f.key, f.side) == ("idp-auth", "IdP") and "unknown-sp" in f.reason
    assert "entityID QualysGuard_SharedPlatformSAML20SP" in f.fix


def test_a_wrong_exit_url_fails_the_logout_step(ws: Workspace) -> None:
    ws.save_subscription(replace(ws.subscription("4711"), exit_url=""))
    r = demo(ws, "alice")
    assert r.passed and "the questionnaire gives no exit URL" in r.step("logout").reason


def test_pace_calls_the_wait_callback_between_steps(ws: Workspace) -> None:
    waits: list[float] = []
    seen: list[str] = []
    traced: list[int] = []
    r = demo(
        ws,
        "alice",
        pace=0.25,
        wait=waits.append,
        on_check=lambda rep, s: seen.append(s.key),
        on_trace=lambda t, s: traced.append(s.index),
    )
    assert r.passed
    assert seen == ORDER and traced == [s.index for s in r.trace.steps]
    assert waits == [0.25] * (len(seen) + len(traced))


def test_interactive_mode_records_a_browser_it_does_not_drive(ws: Workspace) -> None:
    """A browser outside the harness (here a scripted one standing in for a person's) is recorded."""
    done = threading.Event()

    def person(url: str) -> None:
        def go() -> None:
            assert "/__harness/record?" in url  # the recording's token is handed to this browser first
            intruder = ScriptedBrowser(Credentials("bob", "bob123"))  # a page in another browser, meanwhile
            intruder.get(servers.login_url("4711"))
            intruder.close()
            b = ScriptedBrowser(Credentials("alice", "alice123"))
            b.get(url)
            b.navigate(servers.sp_base + "/fo/logout.php")  # typed by the person
            b.close()
            done.set()

        threading.Thread(target=go, daemon=True).start()

    with Servers(ws, sp_port=0, idp_port=0) as servers:
        r = run_interactive(servers, idm_key="4711", timeout=20, logout_timeout=10, opener=person)
    assert done.wait(5)
    assert r.passed, format_report(r)
    assert r.step("logout").status == PASS
    assert r.trace.foreign and all("bob" not in (s.login or "") for s in r.trace.steps)
    assert r.trace.login == "alice" and r.account == "alice"
    assert r.mode == "interactive" and r.account == "alice"
    assert r.step("idp-auth").reason.startswith("the user authenticated at the IdP")


def test_interactive_mode_times_out_in_words(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        r = run_interactive(servers, idm_key="4711", account="alice", timeout=0.3, opener=lambda u: None)
    assert r.step("open-url").status == FAIL and r.step("open-url").side == "browser"
    assert r.first_failure.reason == "the unique login URL was never opened (waited 0.3 s)"
    assert r.step("session").status == SKIP


def test_html_report_is_self_contained_with_verdicts_trace_and_fingerprints(ws: Workspace, tmp_path: Path) -> None:
    r = demo(ws, "carol")
    html = render(r)
    assert "<script" not in html and "http://" not in html.split("<body>")[0]
    assert "FAILED at" in html and "SAML is not enabled for carol" in html and "fix on the SP side" in html
    assert f"<th>SHA-256 fingerprint</th><td>{ws.keypair('idp-signing').fingerprint_sha256}</td>" in html
    assert "https://idp.demo-corp.example/saml" in html and 'id="step-1"' in html
    assert "saml-disabled-for-user" in html
    assert "default-src 'none'" in html.split("<title>")[0]  # a strict CSP before anything else
    path = write_report(r, tmp_path / "out" / "report.html")
    assert path.read_text().startswith("<!DOCTYPE html>") and "SAML is not enabled for carol" in path.read_text()


def test_cli_checklist_exit_codes_and_report(ws: Workspace, tmp_path: Path, capsys) -> None:
    # read-only: it runs beside the open workspace (the app, here the test, holds the writer lock)
    code = main(["--workspace", str(ws.path), "checklist", "--user", "alice", "--report", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 0 and "PASSED" in out and (tmp_path / "r.html").exists()
    code = main(["--workspace", str(ws.path), "checklist", "--user", "carol"])
    out = capsys.readouterr().out
    assert code == 1 and "fix (SP side): A Manager enables SAML in the user settings of carol." in out
    ws.close()  # acting as the Manager changes the workspace: that needs the writer lock
    code = main(["--workspace", str(ws.path), "checklist", "--user", "alice", "--account", "carol", "--enable-saml"])
    out = capsys.readouterr().out
    assert "Manager: SAML enabled for carol" in out
    ws.__init__(ws.path)


def test_cli_interactive_prints_and_opens_the_recording_url(ws: Workspace, capsys, monkeypatch) -> None:
    """The URL the tester is told to open carries the recording's token (else nothing they do counts)."""
    import harness.core.commands.checklist as command

    opened: list[str] = []

    def person(url: str) -> None:  # the tester's browser, opened by the command
        opened.append(url)

        def go() -> None:
            b = ScriptedBrowser(Credentials("alice", "alice123"))
            b.get(url)
            b.navigate(url.split("/__harness/")[0] + "/fo/logout.php")
            b.close()

        threading.Thread(target=go, daemon=True).start()

    monkeypatch.setattr(command.webbrowser, "open", person)
    code = main(["--workspace", str(ws.path), "checklist", "--interactive", "--timeout", "20"])
    out = capsys.readouterr().out
    assert len(opened) == 1 and "/__harness/record?t=" in opened[0]
    assert f"open {opened[0]} in your browser" in out
    assert code == 0, out
