"""The subscription editor's rollover stages and AuthnRequest options, driven as a tester would."""

from __future__ import annotations

from harness.gui.models.workspace_tree import Target


def acs_check(entry, name: str) -> str:
    acs = next(s for s in entry.trace.steps if s.checks)
    return next(c.detail for c in acs.checks if c.name == name)


def test_rollover_stages_with_a_login_after_each(qtbot, tester, window):
    tester.open(Target("subscriptions", "4711"))
    panel = window.subs_page.rollover
    assert panel.add_btn.isEnabled() and not panel.switch_btn.isEnabled() and not panel.remove_btn.isEnabled()
    tester.click(panel.add_btn)
    assert "Rollover in progress" in panel.state.text() and panel.switch_btn.isEnabled()
    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "session"
    assert "the old certificate of the rollover" in acs_check(entry, "Assertion signature")
    tester.click(panel.switch_btn)
    assert panel.remove_btn.isEnabled() and not panel.switch_btn.isEnabled()
    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "session"
    assert "the new certificate of the rollover" in acs_check(entry, "Assertion signature")
    assert "verifies" in window.trace_page.detail.text("Checks")
    tester.click(panel.remove_btn)
    assert "No rollover" in panel.state.text()
    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "session"
    assert "the trusted certificate" in acs_check(entry, "Assertion signature")
    window.subs_page.grab().save("/tmp/rollover-panel.png")


def test_authn_request_options_are_saved_and_sent(qtbot, tester, window):
    tester.open(Target("subscriptions", "4711"))
    panel = window.subs_page.request
    window.subs_page.tabs.setCurrentWidget(panel)
    tester.click(panel.passive)
    ws = window.controller.workspace
    assert ws.subscription("4711").request_passive, (panel.error.text(), panel.passive.isChecked(), panel.isVisible())
    assert panel.summary.text() == "IsPassive"
    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "refused" and "NoPassive" in entry.trace.outcome_detail
    tester.click(panel.passive)
    tester.type(panel.contexts, "nonsense")
    assert "neither a known short name nor a URI" in panel.error.text()
    assert ws.subscription("4711").request_authn_context == []
    tester.type(panel.contexts, "mfa")
    assert ws.subscription("4711").request_authn_context == ["mfa"]
    assert tester.run("sp", "4711", "frank").trace.outcome == "session"
    window.subs_page.grab().save("/tmp/request-options.png")
