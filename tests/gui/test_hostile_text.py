"""Message-derived text is shown, never interpreted: a hostile trace, inspector input and battery
target go through every view, then every label of the main window is checked."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser

from harness.core.terminal import visible

HOSTILE = (
    "<b>x</b><img src=file:///etc/passwd><a href=x>link</a><font color=green>✔ Signature verifies</font>"
    "\u202eevil\x1b[2J"
)
SHOWN = visible(HOSTILE)  # what the tester reads: the markup literally, the controls as escapes
RAW_MARKUP = ("<img", "<a href", "<b>x", "<font")
TAINTED = {
    "title",
    "label",
    "explanation",
    "reason",
    "detail",
    "name",
    "issuer",
    "name_id",
    "url",
    "outcome_detail",
    "user",
    "subscription",
    "relay_state",
    "error",
    "location",
    "method",
    "subject",
    "keyinfo_subject",
    "trusted_subject",
    "element",
    "reference_uri",
    "status_text",
}


def _taint(value, key=""):
    if isinstance(value, dict):
        return {k: _taint(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_taint(v, key) for v in value]
    if isinstance(value, str) and key in TAINTED:
        return value + HOSTILE
    if key == "verdict" and isinstance(value, str) and value not in ("ok", "refused", "info", "error"):
        return value + HOSTILE  # a signature's verdict is free text; a step's is an enum
    return value


def _hostile_trace(tester, window, tmp_path: Path) -> Path:
    tester.run("sp", "4711", "carol")  # a refusal: reason, checks and signatures all shown
    plain = tmp_path / "plain.json"
    assert window.save_trace(str(plain))
    data = _taint(json.loads(plain.read_text()))
    for step in data["steps"]:
        step["headers"] = {k: v + HOSTILE for k, v in step["headers"].items()} | {"X-SAML-Reason": HOSTILE}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data))
    return path


def assert_nothing_interpreted(root) -> int:
    """Every label is plain text, or rich text with the hostile markup escaped; returns how many
    labels show the hostile text literally."""
    literal = 0
    for label in root.findChildren(QLabel):
        text = label.text()
        if label.textFormat() == Qt.TextFormat.PlainText:
            literal += SHOWN in text
            continue
        assert label.textFormat() == Qt.TextFormat.RichText, (label.objectName(), text)
        assert not any(m in text for m in RAW_MARKUP), text
        literal += "&lt;img src=file:///etc/passwd&gt;" in text
    for browser in root.findChildren(QTextBrowser):
        assert "file:///etc/passwd" not in browser.toHtml().replace("&lt;img src=file:///etc/passwd&gt;", "")
    return literal


def _cells_without_raw_controls(root) -> int:
    """Every item view's every cell (trees walked down): no bidi override or ESC shown raw."""
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QAbstractItemView

    seen = 0
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        try:
            model.columnCount()
        except (AttributeError, TypeError):  # none, or a Qt-internal model (list views) with private counts
            continue
        todo = [QModelIndex()]
        while todo:
            parent = todo.pop()
            for r in range(model.rowCount(parent)):
                for c in range(model.columnCount(parent)):
                    idx = model.index(r, c, parent)
                    text = str(model.data(idx) or "")
                    assert "\u202e" not in text and "\x1b" not in text, text
                    seen += 1
                    if c == 0 and model.rowCount(idx) > 0:
                        todo.append(idx)
    return seen


def _tooltips_escaped(model) -> None:
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            tip = model.data(model.index(r, c), Qt.ItemDataRole.ToolTipRole) or ""
            assert not any(m in tip for m in RAW_MARKUP), tip


def test_a_hostile_trace_is_shown_literally_everywhere(qtbot, tester, window, tmp_path):
    entry = window.open_trace(str(_hostile_trace(tester, window, tmp_path)))
    assert entry is not None
    page = window.trace_page
    assert SHOWN in page.banner.text()  # the trace title, literally
    shown = set()
    for row in range(page.model.rowCount()):
        page.go(row)
        for tab in ("Summary", "Signature", "Checks", "HTTP"):
            page.detail.show_tab(tab)
        assert SHOWN in page.heading.text()
        shown.add(assert_nothing_interpreted(window))
        browsers = [page.detail.summary, page.detail.signature, page.detail.http]
        assert any(SHOWN in b.toPlainText() for b in browsers)
        assert SHOWN in page.explain.text()
        for b in browsers:
            assert "\u202e" not in b.toPlainText() and "\x1b" not in b.toPlainText()
    assert max(shown) >= 3  # banner, heading, explanation at least
    _tooltips_escaped(page.model)
    painted = [a.label + a.answer for a in page.diagram.arrows()]
    cells = [page.model.data(page.model.index(r, c)) or "" for r in range(page.model.rowCount()) for c in range(4)]
    assert not any("\u202e" in t or "\x1b" in t for t in painted + cells)
    assert _cells_without_raw_controls(window) > 20  # the workspace tree's trace entry, the step list...


def test_the_inspector_and_the_battery_summary_show_markup_literally(qtbot, window):
    import base64

    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
        'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>&lt;b&gt;x&lt;/b&gt;&lt;img src=file:///etc/passwd&gt;'
        "</saml:Issuer></samlp:AuthnRequest>"
    )
    window.inspect_text(base64.b64encode(xml.encode()).decode())
    window.inspect_text(HOSTILE)  # not SAML at all: the status says so, literally
    assert_nothing_interpreted(window)

    from harness.core.battery import Report

    page = window.battery_page
    page._running = True
    page._finished(Report(target={"name": HOSTILE}, results=[], seconds=0.1))
    assert SHOWN in page.summary.text() and page.summary.textFormat() == Qt.TextFormat.PlainText
    assert "&lt;img" in page.summary.toolTip()
    page._running = True
    page._finished(HOSTILE)
    assert page.summary.text() == "✘ " + SHOWN
    assert_nothing_interpreted(window)


def test_messages_to_the_tester_are_plain_text(qtbot, window):
    from harness.gui.views.dialogs import show_message

    box = show_message(window, "error", HOSTILE)
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == SHOWN
    box.close()


def test_no_label_is_built_outside_the_plain_text_helpers():
    """Every label comes from harness.gui.plain, so none falls back to Qt's AutoText."""
    root = Path(__file__).resolve().parents[2] / "harness" / "gui"
    offenders = [
        str(p)
        for p in root.rglob("*.py")
        if p.name != "plain.py"
        and any(
            s in p.read_text()
            for s in (
                "QLabel(",
                "QMessageBox.question(",
                "QMessageBox.critical(",
                "QMessageBox.warning(",
                "QMessageBox.information(",
                'addRow("',
            )
        )
    ]
    assert offenders == []


def test_names_with_control_characters_are_escaped_in_every_combo_box(qtbot, window):
    """Subscription and user names (onboarding, the control API) can hold bidi overrides: no combo
    box shows them raw, and the checklist still runs the user chosen."""
    from dataclasses import replace

    from PySide6.QtWidgets import QComboBox

    ws = window.controller.workspace
    evil = "Evil\u202eX\x1b[31m"
    ws.save_subscription(replace(ws.subscription("4711"), idm_key="5000", name=evil, accounts=[]))
    ws.save_user(replace(ws.user("alice"), username="u" + evil))
    window.bridge.workspace_changed.emit("all")
    panel = window.onboarding_page.checklist
    panel.refresh()  # it reloads when shown
    items = [c.itemText(i) for c in window.findChildren(QComboBox) for i in range(c.count())]
    assert visible(evil) + " (5000)" in items and "u" + visible(evil) in items
    assert not [t for t in items if "\u202e" in t or "\x1b" in t]
    panel.user.setCurrentIndex(panel.user.findData("u" + evil))
    assert panel.user.currentData() == "u" + evil
