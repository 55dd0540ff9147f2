"""The Edit-and-send page, through its widgets: open a step of a real login, change the NameID in the
form, pick each signing choice, Send, and get each verdict; hostile text gets an inline error, and a
failed send or transform never loses the tester's text."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from PySide6.QtCore import QMimeData, Qt

from harness.core.recording import PAGE_PATH, RECORD_PATH
from harness.gui.views.workbench_options import KEEP, RESIGN, STRIP

SEND_TIMEOUT_MS = 30_000


def _login_and_edit(tester, window):
    """Run alice's login, select the Response posted to the SP, click "Edit and send"."""
    entry = tester.run("sp", "4711", "alice")
    page = window.trace_page
    row = next(
        i for i, s in enumerate(entry.trace.steps) if s.dst == "sp" and s.message and s.message.param == "SAMLResponse"
    )
    page.go(row)
    tester.click(page.edit_btn)
    wb = window.workbench_page
    assert window.current_page() == "workbench" and wb.isVisible()
    assert wb.message.kind == "Response" and "POST /IdM/saml2/" in wb.origin.text()
    return wb


def _choose(wb, mode: str, key: str | None = None) -> None:
    opts = wb.options
    opts.sig_mode.setCurrentIndex(opts.sig_mode.findData(mode))
    opts.on_response.setChecked(True)
    opts.on_assertion.setChecked(True)
    if key is not None:
        opts.key.setCurrentIndex(opts.key.findData(key))


def _paste(wb, text: str) -> None:
    """Select all and paste, as a tester would (the editor's own paste path, with its limits)."""
    wb.editor.edit.selectAll()
    mime = QMimeData()
    mime.setText(text)
    wb.editor.edit.insertFromMimeData(mime)
    wb.editor.flush()


def _target(url: str) -> str:
    """Where a recording URL leads once each server has set the recording's cookie."""
    while urlsplit(url).path == RECORD_PATH:
        url = parse_qs(urlsplit(url).query)["next"][0]
    return url


def _send(qtbot, tester, wb):
    with qtbot.waitSignal(wb.controller.bridge.workbench_sent, timeout=SEND_TIMEOUT_MS):
        tester.click(wb.options.send_btn)
    return wb.last_result


def test_each_signing_choice_through_the_widgets_gets_its_verdict(qtbot, tester, window) -> None:
    wb = _login_and_edit(tester, window)
    tester.type(wb.form.edits["nameid"], "bob")
    assert ">bob</saml:NameID>" in wb.editor.text()  # form → XML
    text = wb.editor.text()

    cases = [
        (KEEP, None, "refused", "signature-invalid"),
        (RESIGN, "idp", "accepted", ""),
        (RESIGN, "clone", "refused", "signature-invalid"),
        (STRIP, None, "refused", "signature-missing"),
    ]
    for mode, key, verdict, reason in cases:
        _choose(wb, mode, key)
        result = _send(qtbot, tester, wb)
        assert (result.verdict, result.reason) == (verdict, reason), result.answer()
        assert wb.banner.property("verdict") == verdict
        assert wb.editor.text() == text  # the editor keeps the tester's message
        assert "NameID" in wb.diff.text() or "bob" in wb.diff.text()
    assert result.login is None
    # the accepted send opened a session for bob's account, and each send joined the history
    sent = [e for e in window.controller.history if e.kind == "workbench"]
    assert len(sent) == 4 and sent[1].trace.login == "demo_bb"
    tester.click(wb.open_trace_btn)
    assert window.current_page() == "flow" and window.trace_page.entry is sent[-1]


def test_xml_edits_flow_into_the_form_and_transforms_apply(qtbot, tester, window) -> None:
    wb = _login_and_edit(tester, window)
    _paste(wb, wb.editor.text().replace(">alice</saml:NameID>", ">carol</saml:NameID>"))
    qtbot.waitUntil(lambda: wb.form.edits["nameid"].text() == "carol", timeout=5000)  # XML → form
    wb.options.scenario.setCurrentIndex(wb.options.scenario.findData("tampered-nameid"))
    tester.click(wb.options.apply_btn)
    assert wb.form.edits["nameid"].text() not in ("carol", "")  # the victim: another IdP user
    assert "scenario tampered-nameid applied" in wb.notice.text()
    before = wb.form.edits["issue_instant"].text()
    wb.options.shift.setValue(-7200)
    tester.click(wb.options.shift_btn)
    assert wb.form.edits["issue_instant"].text() != before
    tester.click(wb.revert_btn)
    assert wb.editor.text() == wb.message.original_xml


def test_hostile_text_gets_an_inline_error_and_a_failed_send_loses_nothing(qtbot, tester, window) -> None:
    wb = _login_and_edit(tester, window)
    hostile = {
        "doctype": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        "deep": "<r>" + "<a>" * 100 + "</a>" * 100 + "</r>",
        "very-deep": "<r>" + "<a>" * 300 + "</a>" * 300 + "</r>",
        "control": "<r>\x01\x1b[31m</r>",
        "huge": "<r>" + "A" * (4 * 1024 * 1024 + 10) + "</r>",
        "too-huge": "<r>" + "A" * (5 * 1024 * 1024) + "</r>",
        "broken": "<r>\n<a>\n</r>",
    }
    words = {
        "doctype": "DOCTYPE",
        "deep": "deeper",
        "very-deep": "depth",
        "control": "not well-formed",
        "huge": "over the limit",
        "too-huge": "Not pasted",
        "broken": "line 3",
    }
    kept = ""
    for name, text in hostile.items():
        _paste(wb, text)
        assert words[name] in wb.editor.status.text(), (name, wb.editor.status.text())
        assert "\x1b" not in wb.editor.status.text()
        assert not wb.form.inner.isEnabled()
        _choose(wb, RESIGN, "idp")  # re-signing needs a parsed tree: refused in words, text kept
        with qtbot.waitSignal(window.bridge.workbench_failed, timeout=SEND_TIMEOUT_MS):
            tester.click(wb.options.send_btn)
        assert wb.notice.text().startswith("✘") and wb.editor.text() == (text if name != "too-huge" else kept)
        kept = wb.editor.text()
    # invalid UTF-8 from outside: not opened, the editor keeps what it had
    kept = wb.editor.text()
    assert not wb.open_text(base64.b64encode(b"<r>\xff\xfe</r>").decode(), "test")
    assert wb.editor.text() == kept and window.last_error
    # a send that fails in flight (nobody listens there) keeps the text too
    _paste(wb, wb.message.original_xml)
    wb.options.target.setCurrentIndex(wb.options.target.findData("url:"))
    tester.type(wb.options.url, "http://127.0.0.1:9/acs")
    _choose(wb, KEEP)
    result = _send(qtbot, tester, wb)
    assert result.verdict == "error" and "failed" in result.error
    assert wb.banner.property("verdict") == "error" and wb.editor.text() == wb.message.original_xml
    assert wb.options.send_btn.isEnabled()


def test_edit_and_send_from_the_inspector_and_a_battery_row(qtbot, tester, window, opened_urls) -> None:
    from mock_idp.scenarios import by_name

    entry = tester.run("sp", "4711", "alice")
    step = next(s for s in entry.trace.steps if s.message and s.message.summary.kind == "AuthnRequest")
    window.inspect_text(f"{step.message.param}={step.message.raw}")
    tester.click(window.inspector_page.edit_btn)
    wb = window.workbench_page
    assert window.current_page() == "workbench" and wb.message.kind == "AuthnRequest"
    assert wb.options.target_choice().kind == "idp"  # a request goes to the mock IdP
    result = _send(qtbot, tester, wb)
    assert result.verdict == "accepted" and result.trace.steps[0].url.startswith(window.controller.servers.idp_base)
    tester.click(wb.options.browser_btn)  # your own browser gets the same request, by Redirect, recorded
    servers = window.controller.servers
    assert opened_urls[-1].startswith(servers.sp_base + RECORD_PATH)
    assert _target(opened_urls[-1]).startswith(servers.idp_base + "/sso?SAMLRequest=")

    battery = window.battery_page
    window.show_page("battery")
    with qtbot.waitSignal(window.bridge.battery_finished, timeout=60_000):
        assert battery.run([by_name("tampered-nameid")])
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=60_000)
    battery.table.selectRow(next(i for i, r in enumerate(battery.model.rows) if r.scenario == "tampered-nameid"))
    battery.show_tab("Message")
    qtbot.mouseClick(battery.edit_btn, Qt.MouseButton.LeftButton)
    assert window.current_page() == "workbench" and "tampered-nameid" in wb.origin.text()
    assert wb.form.edits["nameid"].text()  # the forged message, field by field
    tester.click(wb.options.browser_btn)  # a Response: a page of the SP's that posts itself to the ACS
    assert opened_urls[-1].startswith(servers.sp_base + RECORD_PATH)
    assert _target(opened_urls[-1]).startswith(servers.sp_base + PAGE_PATH)
    opts = wb.options
    opts.target.setCurrentIndex(opts.target.findData("url:"))  # another SP: nothing to record
    opts.url.setText("http://127.0.0.1:9/acs")
    tester.click(opts.browser_btn)
    assert opened_urls[-1].startswith("file://") and opened_urls[-1].endswith(".html")
    assert wb.sender_.recording is None and "not recorded" in wb.notice.text()


def test_the_main_window_fits_a_1024_pixel_wide_screen(window) -> None:
    """Long scenario and key pair names in the Edit and send page's combo boxes widened every page."""
    for name in window.pages:
        window.show_page(name)
        assert window.minimumSizeHint().width() <= 1024, name
