"""The workbench's Open in browser in a real Chromium: the recording URL sets the token cookie on both
servers, the SP's own page posts the edited (re-signed) Response by itself, and the recorded trace
holds the SP's session for bob; the scripted browser's earlier login is nowhere in it."""

from __future__ import annotations

import pytest
from browser.pages import IDM_KEY, wait_for_sp

from harness.core.commands.send import embedded_destination
from harness.core.flow import run_flow
from harness.core.workbench import edit
from harness.core.workbench.in_browser import BrowserRecording, hand_off
from harness.core.workbench.message import from_trace
from harness.core.workbench.send import SendOptions
from harness.core.workbench.signing import SigningChoice

pytestmark = pytest.mark.browser


def test_an_edited_response_opened_in_chromium_is_recorded(page, servers):
    trace = run_flow(servers, kind="idp", idm_key=IDM_KEY, username="alice").trace  # unsolicited
    message = from_trace(trace)
    edit.set_fields(message, [("nameid", "bob")])
    options = SendOptions(signing=SigningChoice(resign={"response", "assertion"}))
    handoff = hand_off(message, options, embedded_destination(servers, IDM_KEY, message), servers.workspace)
    rec = BrowserRecording(servers, handoff)
    try:
        page.goto(rec.url)
        wait_for_sp(page, servers)
    finally:
        rec.stop()
    result = rec.result()
    assert (result.verdict, result.login) == ("accepted", "demo_bb"), result.answer()
    assert page.locator("#login").inner_text() == "demo_bb"
    assert rec.trace.steps[0].method == "POST" and not rec.trace.foreign
    assert all(s.message is None or s.message.summary.name_id != "alice" for s in rec.trace.steps)
