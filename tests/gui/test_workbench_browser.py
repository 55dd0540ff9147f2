"""Open in browser from the Edit-and-send page is recorded: the browser that opens the URL (the scripted
browser standing in for the tester's) posts the edited message through the SP's own page, and the
page shows the SP's verdict as it does a Send's, message text literal; another browser stays foreign;
Stop recording, or another recording, ends it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from harness.core.browser import ScriptedBrowser
from harness.core.recording import RECORD_PATH
from harness.gui.views.workbench_options import KEEP

TIMEOUT_MS = 20_000
HOSTILE = '<b>bob</b><img src="file:///etc/passwd">'


def _edit_response(tester, window):
    entry = tester.run("sp", "4711", "alice")
    page = window.trace_page
    page.go(next(i for i, s in enumerate(entry.trace.steps) if s.message and s.message.param == "SAMLResponse"))
    tester.click(page.edit_btn)
    wb = window.workbench_page
    tester.type(wb.form.edits["nameid"], HOSTILE)
    opts = wb.options
    opts.sig_mode.setCurrentIndex(opts.sig_mode.findData(KEEP))
    return wb


def _browse(url: str) -> ScriptedBrowser:
    browser = ScriptedBrowser()
    browser.get(url)
    browser.close()
    return browser


def test_the_tester_browser_is_recorded_and_its_verdict_shown_as_plain_text(
    qtbot, tester, window, opened_urls, tmp_path
) -> None:
    wb = _edit_response(tester, window)
    servers = window.controller.servers
    tester.click(wb.options.browser_btn)
    url = opened_urls[-1]
    assert url.startswith(servers.sp_base + RECORD_PATH)
    assert wb.banner.property("verdict") == "waiting" and "Recording your browser" in wb.banner.text()
    assert wb.stop_btn.isVisible() and "recorded" in wb.notice.text()
    entry = wb.last_entry
    assert entry.kind == "workbench" and entry.running and entry in window.controller.history

    # another browser posts the same form without the recording's cookie: foreign, never a step
    rec = wb.sender_.recording[1]
    other = ScriptedBrowser()
    other.post(rec.handoff.url, rec.handoff.fields)
    other.close()
    _browse(url)  # the tester's browser
    qtbot.waitUntil(lambda: wb.banner.property("verdict") == "refused", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: "foreign request" in wb.banner.text(), timeout=TIMEOUT_MS)
    assert "signature-invalid" in wb.banner.text() and "1 foreign request" in wb.banner.text()
    assert len(entry.trace.foreign) == 1 and entry.trace.steps[0].code == "signature-invalid"
    assert wb.banner.textFormat() == Qt.TextFormat.PlainText
    # the edited NameID, hostile markup, shows literally in the SP's checks of the recorded step
    assert HOSTILE in wb.answer.summary.toPlainText()
    assert wb.answer.checks_model.rowCount() > 0 and "NameID" in wb.diff.text()
    wb.grab().save(str(tmp_path / "workbench-recorded.png"))

    with qtbot.waitSignal(window.bridge.workbench_recording_ended, timeout=TIMEOUT_MS):
        tester.click(wb.stop_btn)
    assert not entry.running and not wb.stop_btn.isVisible() and "Recording ended" in wb.banner.text()
    assert not servers.recordings.active(rec.token)
    steps = len(entry.trace.steps)
    assert _browse(url).history[0].status == 404 and len(entry.trace.steps) == steps  # nothing more recorded
    tester.click(wb.open_trace_btn)
    assert window.current_page() == "flow" and window.trace_page.entry is entry


def test_another_recording_ends_the_workbench_one(qtbot, tester, window, opened_urls) -> None:
    wb = _edit_response(tester, window)
    tester.click(wb.options.browser_btn)
    first = wb.last_entry
    with qtbot.waitSignal(window.bridge.workbench_recording_ended, timeout=TIMEOUT_MS):
        tester.click(wb.options.browser_btn)  # the same message again: a new recording
    second = wb.last_entry
    assert not first.running and second.running and second is not first
    assert "Recording your browser" in wb.banner.text()
    with qtbot.waitSignal(window.bridge.workbench_recording_ended, timeout=TIMEOUT_MS):
        window.controller.open_in_browser("sp", "4711", "alice")  # the app's own recording of a login
    assert not second.running and wb.sender_.recording is None and not wb.stop_btn.isVisible()
    window.controller.stop_capture()
