"""The app's HTTPS setting: ticking it in IdP settings restarts both servers on https (the
workspace keeps the setting), says where the CA is, and a Run logs in over TLS."""

from __future__ import annotations

from harness.gui.models.workspace_tree import Target
from harness.gui.views.idp_settings_editor import IdPSettingsEditor

FLOW_TIMEOUT_MS = 20_000


def test_the_https_setting_restarts_the_servers_on_tls(qtbot, tester, window):
    assert window.controller.servers.sp_base.startswith("http://")
    tester.open(Target("idp", window.controller.workspace.sp_profile().entity_id))
    editor = window.findChildren(IdPSettingsEditor)[0]
    assert editor.isVisible() and not editor.sp_https.isChecked()
    editor.sp_https.click()
    qtbot.waitUntil(
        lambda: window.controller.servers is not None and window.controller.servers.sp_base.startswith("https://"),
        timeout=FLOW_TIMEOUT_MS,
    )
    servers = window.controller.servers
    assert window.controller.workspace.sp_profile().https
    assert servers.idp_base.startswith("https://")
    assert any("local CA" in text and str(servers.tls.ca_cert) in text for _, text in window.messages)
    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "session" and entry.trace.login == "alice"
    assert all(step.url.startswith("https://") for step in entry.trace.steps if step.url)
