"""Drive the real main window: editors, both flows, a broken trust, the diagram and the tabs."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from PySide6.QtCore import Qt

from harness.core.report import COLORS
from harness.gui.models.workspace_tree import Target


def test_window_starts_servers_and_shows_them(tester, window):
    assert window.width() == 1280 and window.height() == 800
    text = window.status.text()
    servers = window.controller.servers
    assert servers.sp_base in text and servers.idp_base in text
    assert text.count("up") == 2
    assert window.flow_bar.subscription.currentData() == "4711"
    assert window.flow_bar.user.count() == 6


def test_new_user_and_account_with_external_id_then_both_flows(qtbot, tester, window):
    ws = window.controller.workspace

    # an IdP user, through the users editor
    tester.open(Target("users"))
    assert window.current_page() == "users"
    users = window.users_page.editor
    tester.click(users.add_btn)
    assert users.selected().username == "new_user"
    tester.type(users.username, "grace")
    tester.type(users.password, "grace-pw")
    tester.type(users.email, "grace@demo-corp.example")
    tester.type(users.groups, "secops, audit")
    grace = ws.user("grace")
    assert grace is not None and ws.user("new_user") is None
    assert (grace.password, grace.email, grace.groups) == ("grace-pw", "grace@demo-corp.example", ["secops", "audit"])

    # an SP account mapped by External ID, through the subscription editor
    tester.open(Target("subscriptions", "4711", "accounts"))
    page = window.subs_page
    assert page.tabs.currentIndex() == 1
    accounts = page.accounts
    tester.click(accounts.add_btn)
    tester.type(accounts.login, "demo_gg")
    tester.type(accounts.external_id, "grace")
    acc = next(a for a in ws.subscription("4711").accounts if a.login == "demo_gg")
    assert acc.external_id == "grace" and acc.saml_enabled
    assert page.tabs.tabText(1) == "Accounts (8)"

    # the matrix predicts it before any flow runs
    tester.open(Target("matrix"))
    assert window.matrix_page.cell("grace", "4711").startswith("→ demo_gg")
    tester.open(Target("onboarding"))
    assert window.current_page() == "onboarding"

    # SP-initiated
    entry = tester.run("sp", "4711", "grace")
    steps = entry.trace.steps
    assert entry.trace.outcome == "session" and entry.trace.login == "demo_gg" and entry.as_expected
    assert [(s.dst, s.method, urlsplit(s.url).path) for s in steps[:4]] == [
        ("sp", "GET", "/fo/login.php"),
        ("idp", "GET", "/sso"),
        ("idp", "POST", "/login"),
        ("sp", "POST", "/IdM/saml2/"),
    ]
    assert steps[0].message.summary.kind == "AuthnRequest"
    acs = steps[3]
    assert acs.verdict == "ok" and acs.login == "demo_gg"
    assert all(c.ok for c in acs.checks)
    mapping = next(c for c in acs.checks if c.name == "Mapping")
    assert "grace" in mapping.detail and "demo_gg" in mapping.detail
    arrows = window.trace_page.diagram.arrows()
    assert [(a.index, a.src, a.dst) for a in arrows] == [(s.index, "browser", s.dst) for s in steps]
    assert arrows[3].color == COLORS["ok"] and arrows[3].verdict == "ok"
    assert arrows[0].color == COLORS["saml"]
    assert window.trace_page.model.rowCount() == len(steps)
    # the SP's decision is selected first, and the list follows the diagram
    assert window.trace_page.current_step() is acs
    assert window.trace_page.list.currentIndex().row() == 3
    assert window.trace_page.banner.property("level") == "ok"
    assert "Session opened for demo_gg" in window.trace_page.banner.text()
    # the XML tab marks what is signed, and finds text
    detail = window.trace_page.detail
    signed = {(r.what.split(" #")[0], r.ok) for r in detail.xml.ranges if not r.signature}
    assert signed == {("Response", True), ("Assertion", True)}
    detail.xml.search.setText("Audience")
    assert detail.xml.count.text().startswith("1 of ")
    window.trace_page.go(0)
    assert "SAMLRequest" in detail.text("HTTP") and "Location" in detail.text("HTTP")
    assert "No checks on this hop" in detail.text("Checks")

    # IdP-initiated
    entry = tester.run("idp", "4711", "grace")
    steps = entry.trace.steps
    assert entry.trace.outcome == "session" and entry.trace.login == "demo_gg"
    assert (steps[0].dst, urlsplit(steps[0].url).path) == ("idp", "/start")
    acs = next(s for s in steps if s.checks)
    assert acs.verdict == "ok" and acs.message.summary.in_response_to == ""
    arrows = window.trace_page.diagram.arrows()
    assert len(arrows) == len(steps)
    assert arrows[acs.index - 1].color == COLORS["ok"]
    assert window.tree.find(Target("flow", entry.run_id)).isValid()


def test_wrong_certificate_signature_tab_says_why(qtbot, tester, window):
    tester.open(Target("subscriptions", "4711"))
    subs = window.subs_page.subs
    combo = subs.trust_combo
    i = combo.findData("idp-old")
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    ws = window.controller.workspace
    assert ws.subscription("4711").idp_cert_pem == ws.keypair("idp-old").cert_pem
    # warned before any flow runs
    assert "Logins will be refused" in subs.warning.text()
    assert "⚠" in window.tree.find(Target("certs")).data()

    entry = tester.run("sp", "4711", "alice")
    acs = next(s for s in entry.trace.steps if s.checks)
    assert acs.verdict == "refused" and acs.code == "signature-invalid"
    page = window.trace_page
    assert page.current_step() is acs  # the first failure is shown without a click
    assert page.detail.currentIndex() == page.detail.tab("Signature")
    text = page.detail.text("Signature")
    assert "does not hold" in text
    assert "is signed by CN=Demo Corp IdP 2026" in text
    assert "but this subscription trusts CN=Demo Corp IdP (old)" in text
    assert "Update the certificate in the questionnaire" in text
    assert page.diagram.arrows()[acs.index - 1].color == COLORS["refused"]
    assert page.banner.property("level") == "refused"
    assert "signature-invalid" in page.banner.text()
    checks = page.detail.text("Checks")
    assert "Response signature: FAILED" in checks

    # back to the right certificate: undo
    window.act_undo.trigger()
    assert ws.subscription("4711").idp_cert_pem == ws.keypair("idp-signing").cert_pem
    assert tester.run("sp", "4711", "alice").trace.outcome == "session"


def test_inspector_decodes_a_pasted_message(qtbot, tester, window, tmp_path):
    entry = tester.run("sp", "4711", "alice")
    redirect = entry.trace.steps[0].location  # the IdP URL carrying the AuthnRequest
    response = next(s for s in entry.trace.steps if s.checks).message.raw

    tester.open(Target("inspector"))
    insp = window.inspector_page
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText(redirect)
    insp.input.setFocus()
    qtbot.keyClick(insp.input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    tester.click(insp.decode_btn)
    assert insp.messages[0].summary.kind == "AuthnRequest"
    summary = insp.detail.text("Summary")
    assert "AuthnRequest" in summary and "QualysGuard_SharedPlatformSAML20SP" in summary
    assert "HTTP-Redirect" in summary
    assert ":AuthnRequest " in insp.detail.text("XML")

    # a signed Response, checked against a chosen certificate
    tester.click(insp.clear_btn)
    QApplication.clipboard().setText(response)
    qtbot.keyClick(insp.input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    insp.choose_cert("key", "idp-signing")
    assert "verifies with the trusted certificate" in insp.detail.text("Signature")
    insp.choose_cert("key", "idp-old")
    assert "does not hold" in insp.detail.text("Signature")
    insp.set_text("this is not SAML")
    assert insp.status.text().startswith("✘")

    # a dropped file
    from PySide6.QtCore import QMimeData, QUrl

    (tmp_path / "request.txt").write_text(redirect)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "request.txt"))])
    insp.input.insertFromMimeData(mime)
    insp.decode()
    assert insp.messages[0].summary.kind == "AuthnRequest"

    # any hop's message goes to the inspector with one click
    tester.open(Target("flow", entry.run_id))
    window.trace_page.go(2)
    tester.click(window.trace_page.inspect_btn)
    assert window.current_page() == "inspector"
    assert insp.messages[0].summary.kind == "Response"


def test_step_mode_reveals_one_hop_at_a_time(qtbot, tester, window):
    entry = tester.run("sp", "4711", "bob", button="step")
    page = window.trace_page
    total = len(entry.trace.steps)
    assert page.model.rowCount() == 1 and len(page.diagram.arrows()) == 1
    assert window.flow_bar.step_btn.text() == f"Next hop (2/{total})"
    assert page.explain.text()  # a short explanation of the hop
    tester.click(window.flow_bar.step_btn)
    assert page.model.rowCount() == 2 and page.current_step() is entry.trace.steps[1]
    tester.click(page.next_btn)
    assert len(page.diagram.arrows()) == 3
    tester.click(page.last_btn)
    assert page.model.rowCount() == total
    assert window.flow_bar.step_btn.text() == "Step"
    # jump to any step by clicking its arrow
    a = page.diagram.arrows()[1]
    qtbot.mouseClick(page.diagram, Qt.MouseButton.LeftButton, pos=_point(a.x1 + 20, a.y))
    assert page.current_step() is entry.trace.steps[1]


def _point(x: float, y: float):
    from PySide6.QtCore import QPoint

    return QPoint(int(x), int(y))


def test_traces_save_open_report_and_diagram_exports(qtbot, tester, window, tmp_path):
    tester.run("sp", "4711", "erin")
    assert window.trace_page.entry.trace.outcome == "refused"
    assert window.save_trace(str(tmp_path / "t.json"))
    assert window.export_report(str(tmp_path / "r.html"))
    assert window.export_diagram("png", str(tmp_path / "d.png"))
    assert window.export_diagram("svg", str(tmp_path / "d.svg"))
    html = (tmp_path / "r.html").read_text()
    assert (
        "<svg" in html
        and "user-not-found" in html
        and "<script" not in html
        and "http://" not in html.split("<body>")[0]
    )
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "d.svg").read_text()
    n = len(window.controller.history)
    entry = window.open_trace(str(tmp_path / "t.json"))
    assert entry is not None and len(window.controller.history) == n + 1
    assert len(window.trace_page.diagram.arrows()) == len(entry.trace.steps)
    (tmp_path / "bad.json").write_text("{not json")
    assert window.open_trace(str(tmp_path / "bad.json")) is None
    assert window.last_error.startswith("Cannot open the trace")
    assert "Traceback" not in window.last_error


def test_open_in_browser_records_the_real_browser_only(qtbot, tester, window, opened_urls):
    from harness.core.browser import Credentials, ScriptedBrowser

    window.flow_bar.set_choice("sp", "4711", "alice")
    tester.click(window.flow_bar.browser_btn)
    servers = window.controller.servers
    assert len(opened_urls) == 1 and "/__harness/record?" in opened_urls[0]  # binds the recording to it
    capture = window.trace_page.entry
    assert capture.kind == "browser" and capture.running

    browser = ScriptedBrowser(Credentials("alice", "alice123"))
    del browser.session.headers["X-Harness-Flow"]  # now it is any browser
    try:
        browser.get(opened_urls[0])
    finally:
        browser.close()
    qtbot.waitUntil(lambda: window.trace_page.model.rowCount() >= 4, timeout=10_000)
    qtbot.waitUntil(lambda: capture.trace.outcome == "session", timeout=10_000)
    assert capture.trace.steps[0].url.startswith(servers.login_url("4711"))
    n = len(capture.trace.steps)

    # a web page in another browser sends requests meanwhile: shown apart, not the tester's steps
    other = ScriptedBrowser(Credentials("bob", "bob123"))
    del other.session.headers["X-Harness-Flow"]
    try:
        other.get(servers.login_url("4711"))
    finally:
        other.close()
    qtbot.waitUntil(lambda: len(capture.trace.foreign) >= 4, timeout=10_000)
    assert len(capture.trace.steps) == n and capture.trace.login == "alice"
    qtbot.waitUntil(lambda: "foreign request(s)" in window.trace_page.banner.text(), timeout=10_000)

    # a scripted run meanwhile does not leak into the browser's trace
    tester.run("sp", "4711", "bob")
    assert len(capture.trace.steps) == n
    window.act_stop_capture.trigger()
    assert not capture.running and capture.trace.login == "alice"


def test_edit_errors_are_shown_in_words_and_undo_restores(qtbot, tester, window):
    ws = window.controller.workspace
    tester.open(Target("subscriptions", "4711"))
    subs = window.subs_page.subs
    tester.click(subs.nds)  # SAML-enabled accounts need the NDS
    assert "New Data Security Model" in window.last_error
    assert "Traceback" not in window.last_error
    assert ws.subscription("4711").nds_enabled
    assert subs.nds.isChecked()  # the form shows what is really saved

    tester.open(Target("users", "carol"))
    assert window.users_page.editor.selected().username == "carol"
    tester.click(window.users_page.editor.del_btn)
    assert ws.user("carol") is None
    assert not window.tree.find(Target("users", "carol")).isValid()
    window.act_undo.trigger()
    assert ws.user("carol") is not None
    window.act_redo.trigger()
    assert ws.user("carol") is None


def test_matrix_runs_every_user_and_marks_the_outcome(qtbot, tester, window):
    tester.open(Target("matrix"))
    matrix = window.matrix_page
    assert matrix.cell("carol", "4711").startswith("✘ saml-disabled-for-user")
    assert matrix.cell("dave", "4711").startswith("picker: demo_dd1 | demo_dd2")
    with qtbot.waitSignal(window.bridge.batch_finished, timeout=30_000):
        tester.click(matrix.run_all)
    qtbot.waitUntil(lambda: not window.controller.busy)
    assert all("✔ ran as predicted" in matrix.cell(u, "4711") for u in matrix.model.users)
    assert "6 of 6 logins went as predicted" in window.messages[-1][1]


def test_certificates_view_marks_expired_and_rotates(qtbot, tester, window):
    tester.open(Target("certs"))
    view = window.certs_page
    row = view.model.row_for("idp-expired")
    status = view.model.index(row, 5)
    assert status.data() == "EXPIRED"
    assert status.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert view.problems() == []
    before = window.controller.workspace.keypair("idp-signing").fingerprint_sha256
    view.select_name("idp-signing")
    view.rotate(confirm=False)
    ws = window.controller.workspace
    assert ws.keypair("idp-signing").fingerprint_sha256 != before
    assert any("Logins will be refused" in p for p in view.problems())  # 4711 still trusts the old one
    window.act_undo.trigger()
    assert ws.keypair("idp-signing").fingerprint_sha256 == before and view.problems() == []


def test_save_as_switches_workspace_and_remembers_it(qtbot, tester, window, tmp_path):
    old = str(window.controller.workspace.path)
    assert window.save_workspace_as(str(tmp_path / "copy"))
    qtbot.waitUntil(lambda: window.controller.servers is not None, timeout=10_000)
    assert window.controller.workspace.path == (tmp_path / "copy").resolve()
    assert window.recent_workspaces()[:2] == [str((tmp_path / "copy").resolve()), old]
    assert tester.run("sp", "4711", "alice").trace.outcome == "session"
    assert not window.open_workspace(str(tmp_path / "nowhere"))
    assert "Cannot open the workspace" in window.last_error

    assert window.new_workspace(path=str(tmp_path / "empty"))
    qtbot.waitUntil(lambda: window.controller.servers is not None, timeout=10_000)
    assert window.tree.find(Target("users")).data() == "IdP users (0)"
    assert window.flow_bar.user.count() == 0
    tester.click(window.flow_bar.run_btn)
    assert window.last_error == "Choose a subscription and a user first."
    assert window.open_workspace(old)
    qtbot.waitUntil(lambda: window.controller.servers is not None, timeout=10_000)
    assert window.flow_bar.user.count() == 6


def test_closing_the_window_stops_the_servers(qtbot, tester, window):
    servers = window.controller.servers
    port = int(servers.sp_base.rsplit(":", 1)[1])
    window.close()
    assert window.controller.servers is None and not servers.running
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_attack_battery_page_runs_scenarios_against_the_sp(qtbot, tester, window):
    from mock_idp.scenarios import BASELINE, CATALOGUE

    tester.open(Target("battery"))
    page = window.battery_page
    picked = [CATALOGUE[0], CATALOGUE[len(CATALOGUE) // 2], CATALOGUE[-1]]
    with qtbot.waitSignal(window.bridge.battery_finished, timeout=60_000):
        assert page.run(picked)
    qtbot.waitUntil(lambda: not window.controller.busy)
    verdicts = {r.scenario: r.verdict for r in page.model.rows}
    assert len(verdicts) == 4 and verdicts.pop(BASELINE.name) == "accepted"
    assert set(verdicts.values()) <= {"refused", "ignored"}, verdicts
    assert page.summary.text().startswith("✔ Every attack was refused")
    page.table.selectRow(1)
    assert "A safe SP" in page.detail.toPlainText()
