"""The onboarding widgets, offscreen: questionnaire form, checklist run, rules editor."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from harness.core.checklist import ORDER
from harness.core.servers import Servers
from harness.core.workspace import Rule, Workspace
from harness.gui.bridge import Bridge
from harness.gui.controller import AppController
from harness.gui.views.onboarding import OnboardingView
from samlkit.metadata_xml import idp_metadata


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def servers(ws: Workspace) -> Iterator[Servers]:
    s = Servers(ws, sp_port=0, idp_port=0).start()
    yield s
    s.stop()


@pytest.fixture
def controller(ws: Workspace, servers: Servers) -> Iterator[AppController]:
    c = AppController(Bridge(), ws)
    c.servers = servers  # the app's running servers, as after start_servers
    yield c
    c.tasks.wait(15_000)


@pytest.fixture
def view(qtbot, controller: AppController) -> Iterator[OnboardingView]:
    v = OnboardingView(controller)
    qtbot.addWidget(v)
    v.show()
    qtbot.waitExposed(v)
    yield v
    v.shutdown()


def test_questionnaire_form_validates_fills_and_creates_a_subscription(qtbot, view, ws, tmp_path) -> None:
    form = view.questionnaire
    assert not form.create.isEnabled()
    assert any("IdP EntityID: is empty" in t for t in form.problem_texts())
    form.subscription.setText("abcd_ef")
    qtbot.mouseClick(form.from_mock, Qt.MouseButton.LeftButton)
    assert form.entity_id.text() == ws.idp_profile().entity_id and form.sso_url.text() == "{mock_idp}/sso"
    assert form.problem_texts() == ["✔ The questionnaire is complete."] and form.create.isEnabled()
    assert "SHA-256 " + ws.keypair("idp-signing").fingerprint_sha256 in form.cert_info.text()

    form.certificate.setPlainText("garbage")
    assert any("the certificate does not parse" in t for t in form.problem_texts()) and not form.create.isEnabled()
    form.certificate.setPlainText(ws.keypair("idp-expired").cert_pem.decode())
    assert any("expired on" in t for t in form.problem_texts())
    form.certificate.setPlainText(ws.keypair("idp-signing").cert_pem.decode())

    form.name.setText("Acme")
    with qtbot.waitSignal(view.workspace_changed, timeout=5000) as changed:
        qtbot.mouseClick(form.create, Qt.MouseButton.LeftButton)
    assert changed.args == ["subscriptions"]
    sub = next(s for s in ws.subscriptions() if s.name == "Acme")
    assert f"Unique login URL: {servers_base(view)}/fo/login.php?idm_key={sub.idm_key}" in form.result.text()
    assert view.checklist.subscription.currentData() == sub.idm_key  # the checklist is ready for it
    controller = view.questionnaire.controller
    assert controller.undo_stack.undoText() == "onboard subscription Acme"  # creating it can be undone

    paths = form.export_sp(tmp_path / "sp", sub.idm_key)
    assert [p.name for p in paths] == ["sp-metadata.xml", "sp-side.txt"]
    saved = form.save_toml(tmp_path / "q.toml")
    form.entity_id.clear()
    assert form.load_toml(saved) and form.entity_id.text() == ws.idp_profile().entity_id
    controller.undo_stack.undo()
    assert ws.subscription(sub.idm_key) is None


def servers_base(view: OnboardingView) -> str:
    return view.questionnaire.controller.servers.sp_base


def test_fill_from_metadata_file_and_url(qtbot, view, ws, tmp_path, servers) -> None:
    form = view.questionnaire
    md = tmp_path / "idp.xml"
    md.write_text(
        idp_metadata(
            entity_id="urn:x:idp", sso_url="https://idp.x.example/sso", cert_pem=ws.keypair("idp-signing").cert_pem
        )
    )
    assert form.fill_from_metadata(md)
    assert (form.entity_id.text(), form.sso_url.text()) == ("urn:x:idp", "https://idp.x.example/sso")
    assert not form.fill_from_metadata(b"<html/>") and "not SAML metadata" in form.result.text()
    form.fetch_metadata(servers.idp_base + "/metadata")  # the mock IdP's metadata over HTTP, in a worker
    qtbot.waitUntil(lambda: form.entity_id.text() == ws.idp_profile().entity_id, timeout=10000)
    assert form.sso_url.text() == servers.idp_base + "/sso"
    assert form.slo_url.text() == servers.idp_base + "/slo"  # its SingleLogoutService
    assert form.questionnaire().idp_slo_url == servers.idp_base + "/slo"


def test_checklist_runs_against_the_mock_idp_and_saves_the_report(qtbot, view, tmp_path) -> None:
    panel = view.checklist
    view.tabs.setCurrentWidget(panel)
    panel.select("4711", "frank")  # a TOTP user
    with qtbot.waitSignal(panel.finished, timeout=20000) as done:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    report = done.args[0]
    assert report.passed
    marks = [row[0] for row in panel.row_texts()]
    assert marks == ["✔", "✔", "–", "✔", "✔", "✔", "✔"]
    assert "second factor (TOTP)" in panel.row_texts()[ORDER.index("idp-auth")][2]
    assert panel.verdict.text().startswith("PASSED") and panel.trace.count() == len(report.trace.steps)
    assert panel.save_button.isEnabled()
    assert panel.save_report(tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_checklist_step_through_waits_for_next_and_shows_the_failing_side(qtbot, view) -> None:
    panel = view.checklist
    panel.select("4711", "carol")  # SAML is off for carol
    panel.step_through.setChecked(True)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.row_texts()[0][0] == "✔", timeout=5000)
    qtbot.wait(100)
    assert panel.row_texts()[1][0] == "…"  # it waits for Next
    with qtbot.waitSignal(panel.finished, timeout=20000):
        while panel.busy:
            qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
            qtbot.wait(5)
    row = panel.row_texts()[ORDER.index("saml-enabled")]
    assert row[0] == "✘" and "SAML is not enabled for carol" in row[2] and "Fix on the SP side" in row[2]
    assert panel.verdict.text().startswith("FAILED at")


def test_rules_editor_saves_previews_and_syncs(qtbot, view, ws) -> None:
    editor = view.rules
    assert editor.rules() == ws.rules()
    editor.add_rule(Rule("marketing", "Reader", ["Web"]))
    text = editor.preview()
    assert "create     erin  (Reader, scope Web)  (group marketing)" in text
    with qtbot.waitSignal(view.workspace_changed, timeout=5000):
        assert editor.save()
    assert ws.rules()[-1] == Rule("marketing", "Reader", ["Web"])
    undo = view.rules.controller.undo_stack
    assert undo.undoText() == "edit provisioning rules"
    undo.undo()
    assert Rule("marketing", "Reader", ["Web"]) not in ws.rules()
    undo.redo()
    assert ws.rules()[-1] == Rule("marketing", "Reader", ["Web"])
    editor.add_rule(Rule("", "Reader", []))
    assert not editor.save() and "rule 6 has no group" in editor.message.text()
    editor.table.selectRow(5)
    editor.remove_selected()
    editor.subscription.setCurrentIndex(editor.subscription.findData("4711"))
    editor.start_sync()
    qtbot.waitUntil(lambda: "created 1" in editor.output.toPlainText(), timeout=15000)
    erin = next(a for a in ws.subscription("4711").accounts if a.login == "erin")
    assert (erin.role, erin.scope, erin.saml_enabled) == ("Reader", ["Web"], True)
