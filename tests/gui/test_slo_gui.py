"""Single Logout in the app: the flow bar's logout choices, the trace they leave, the SLO settings."""

from __future__ import annotations

from harness.gui.models.workspace_tree import Target


def test_both_logout_flows_run_from_the_flow_bar_and_end_logged_out(qtbot, tester, window, tmp_path):
    kinds = [window.flow_bar.kind.itemData(i) for i in range(window.flow_bar.kind.count())]
    assert {"logout", "idp-logout"} <= set(kinds)
    for kind, first_logout_hop in (("logout", "sp"), ("idp-logout", "idp")):
        entry = tester.run(kind, "4711", "alice")
        trace = entry.trace
        assert trace.outcome == "logged-out", (trace.outcome, trace.outcome_detail)
        page = window.trace_page
        assert page.banner.property("level") == "ok" and "Logged out" in page.banner.text()
        hops = [s for s in trace.steps if s.message and s.message.summary.kind.startswith("Logout")]
        assert hops[0].dst == first_logout_hop and len(hops) == 3
        assert all(s.verdict in ("ok", "info") for s in hops)
        assert len(page.diagram.arrows()) == len(trace.steps)
        assert entry.as_expected
    window.grab().save(str(tmp_path / "logout.png"))


def test_the_subscription_editor_saves_the_slo_settings(qtbot, tester, window):
    tester.open(Target("subscriptions", "4711"))
    subs = window.subs_page.subs
    assert subs.slo.text().endswith("/slo")
    tester.click(subs.sign_requests)
    tester.type(subs.slo, "{mock_idp}/other-slo")
    ws = window.controller.workspace
    sub = ws.subscription("4711")
    assert sub.sign_authn_requests and sub.idp_slo_url == "{mock_idp}/other-slo"


def test_wide_rows_go_below_both_columns_of_the_subscription_form(qtbot, tester, window):
    """The right column is longer than the left now (SLO settings): no wide row may overlap it."""
    tester.open(Target("subscriptions", "4711"))
    subs = window.subs_page.subs
    layout = subs.grid.grid

    def row_of(widget):
        return layout.getItemPosition(layout.indexOf(widget))[0]

    last_right = max(row_of(w) for w in (subs.slo, subs.slo_binding, subs.sign_requests, subs.request_binding))
    wide = [row_of(subs.login_url.parentWidget()), row_of(subs.cert_label)]
    assert min(wide) > last_right and wide[0] != wide[1]
