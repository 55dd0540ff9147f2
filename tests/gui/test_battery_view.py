"""The attack battery page: a row shows what the attacker changed, the bad message decoded, and the
SP's answer; the page can attack another SP by its login URL."""

from __future__ import annotations

from PySide6.QtCore import Qt

from harness.gui.models.workspace_tree import Target

BATTERY_TIMEOUT_MS = 120_000


def _select(qtbot, page, scenario: str) -> None:
    """Click the scenario's row in the table."""
    row = next(i for i, r in enumerate(page.model.rows) if r.scenario == scenario)
    idx = page.model.index(row, 0)
    page.table.scrollTo(idx)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=page.table.visualRect(idx).center())
    assert page.current().scenario == scenario


def test_a_battery_row_shows_the_diff_and_the_bad_message(qtbot, tester, window):
    from mock_idp.scenarios import CATALOGUE

    tester.open(Target("battery"))
    page = window.battery_page
    assert page.isVisible() and page.target.currentData() == "embedded"
    with qtbot.waitSignal(window.bridge.battery_finished, timeout=BATTERY_TIMEOUT_MS):
        tester.click(page.run_btn)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=BATTERY_TIMEOUT_MS)
    assert len(page.model.rows) == 1 + len(CATALOGUE)
    assert page.summary.text().startswith("✔ Every attack was refused"), page.summary.text()

    _select(qtbot, page, "signature-removed-assertion")
    assert page.tabs.tabText(page.tabs.currentIndex()) == "Diff"
    lines = page.diff.text().splitlines()
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert lines[:2] == ["--- legitimate", "+++ signature-removed-assertion"]
    assert any(line.strip() == '-    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' for line in removed)
    assert any("<ds:SignatureValue>" in line for line in removed)
    assert "-    </ds:Signature>" in removed and ">alice</saml:NameID>" in removed[-1]
    assert len(added) == 1 and ">bob</saml:NameID>" in added[0]  # the victim's name, and nothing else changed
    summary = page.diff.plain
    assert f"{len(removed)} lines removed, 1 added" in summary
    assert "the Assertion's ds:Signature was removed" in summary
    # + green, - red, @@ grey: each coloured line has its full-width background
    assert len(page.diff.edit.extraSelections()) == len(removed) + len(added) + sum(x.startswith("@@") for x in lines)

    page.show_tab("Message")
    detail = page.message
    assert [detail.tabText(i) for i in range(detail.count()) if detail.isTabVisible(i)] == [
        "Summary",
        "XML",
        "Signature",
    ]
    detail.show_tab("Signature")
    signature = detail.text("Signature")
    assert "is not signed: its signature is missing" in signature
    assert "Signature on the Response" in signature and "does not hold" in signature
    assert "certificate Demo Corp (4711) trusts" in page.message_note.text()
    assert "bob" in detail.text("Summary")
    assert "<saml:NameID" in detail.text("XML")

    page.show_tab("Details")
    assert "403 signature-" in page.detail.toPlainText()

    # a row that sends no XML says so, in words, in each tab
    _select(qtbot, page, "malformed-base64")
    page.show_tab("Diff")
    assert "sends no XML to compare" in page.diff.plain and page.diff.text() == ""
    assert "sends no XML to decode" in detail.text("Summary")

    # a replay is the legitimate message itself: the attack is in sending it again
    _select(qtbot, page, "replay")
    assert page.diff.plain.count("No change") == 1

    # the whole message on demand
    _select(qtbot, page, "tampered-nameid")
    short = len(page.diff.text().splitlines())
    page.diff.whole.setChecked(True)
    assert len(page.diff.text().splitlines()) > short + 40


def test_the_battery_attacks_another_sp_by_its_login_url(qtbot, tester, window):
    from mock_idp.scenarios import CATALOGUE

    tester.open(Target("battery"))
    page = window.battery_page
    page.set_target("external")
    assert page.external.isVisible() and not page.subscription.isVisible()

    assert not page.run()
    assert "Give the SP's login URL, or its ACS URL and its EntityID" in page.summary.text()
    page.login_url.setText("ftp://sp.example/login")
    assert not page.run()
    assert "must be an http:// or https:// address" in page.summary.text()

    # the embedded SP, seen from outside: only its login URL is given, the rest is read from its AuthnRequest
    page.login_url.setText(window.controller.servers.login_url("4711"))
    picked = [s for s in CATALOGUE if s.name in ("signature-removed-assertion", "tampered-nameid")]
    with qtbot.waitSignal(window.bridge.battery_finished, timeout=BATTERY_TIMEOUT_MS):
        assert page.run(picked)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=BATTERY_TIMEOUT_MS)
    verdicts = {r.scenario: r.verdict for r in page.model.rows}
    assert verdicts == {
        "legitimate": "accepted",
        "signature-removed-assertion": "refused",
        "tampered-nameid": "refused",
    }
    assert page.summary.text().startswith("✔ Every attack was refused by SP QualysGuard_SharedPlatformSAML20SP")

    _select(qtbot, page, "tampered-nameid")
    assert page.diff.plain.endswith("the NameID changed from “alice” to “bob”.")
    page.show_tab("Message")
    assert "the mock IdP's certificate (key pair" in page.message_note.text()
    assert "does not hold" in page.message.text("Signature")
