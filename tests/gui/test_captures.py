"""File > Import browser capture and Export trace as HAR, through the real window."""

from __future__ import annotations

import json

TIMEOUT_MS = 20_000


def test_export_har_then_import_it_shows_the_same_steps(qtbot, tester, window, tmp_path):
    entry = tester.run("sp", "4711", "alice")
    assert window.export_har(str(tmp_path / "login.har"))
    har = json.loads((tmp_path / "login.har").read_text())
    assert len(har["log"]["entries"]) == len(entry.trace.steps)

    n = len(window.controller.history)
    with qtbot.waitSignal(window.bridge.trace_imported, timeout=TIMEOUT_MS):
        window.import_capture(str(tmp_path / "login.har"))
    assert len(window.controller.history) == n + 1
    imported = window.trace_page.entry.trace
    assert imported.title == "HAR capture login.har"
    assert [(s.dst, s.url) for s in imported.steps] == [(s.dst, s.url) for s in entry.trace.steps]
    assert imported.outcome == "session"
    acs = [s for s in imported.steps if s.dst == "sp" and s.message and s.message.summary.kind == "Response"]
    assert acs and {c.name for c in acs[0].checks} >= {"issuer", "audience", "certificate"}  # the questionnaire's
    assert len(window.trace_page.diagram.arrows()) == len(imported.steps)


def test_a_bad_capture_is_an_error_in_words(qtbot, window, tmp_path):
    (tmp_path / "bad.har").write_text('{"log": {"entries": [{"request": 5}]}}')
    n = len(window.controller.history)
    with qtbot.waitSignal(window.bridge.message, timeout=TIMEOUT_MS):
        window.import_capture(str(tmp_path / "bad.har"))
    qtbot.waitUntil(lambda: window.last_error.startswith("Cannot import the capture"), timeout=TIMEOUT_MS)
    assert "Traceback" not in window.last_error and len(window.controller.history) == n
