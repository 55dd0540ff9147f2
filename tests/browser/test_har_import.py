"""A HAR recorded by a real Chromium (Playwright's record_har) imports into the same steps as the
harness's own trace of that login, recorded by the servers at the same time."""

from __future__ import annotations

import pytest
from browser.pages import IDM_KEY, PASSWORDS, sign_in, wait_for_sp

from harness.core.capture.from_workspace import expectations_from_workspace
from harness.core.capture.load import load_capture
from harness.core.capture.to_trace import capture_to_trace
from harness.core.recorder import TraceRecorder

pytestmark = pytest.mark.browser


def _shape(trace):
    return [
        (s.dst, s.method, s.url.split("#")[0], s.status, s.message.summary.kind if s.message else "")
        for s in trace.steps
        if not s.url.endswith("/favicon.ico")
    ]


@pytest.mark.parametrize(("start", "user"), [("sp", "alice"), ("sp", "erin"), ("idp", "bob")])
def test_chromium_har_imports_into_the_servers_steps(chromium, servers, tmp_path, start, user):
    har_path = tmp_path / "login.har"
    recorder = TraceRecorder(trusted_cert=lambda issuer: servers.workspace.subscription(IDM_KEY).idp_cert_pem)
    servers.add_listener(recorder)
    context = chromium.new_context(record_har_path=str(har_path))
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(servers.login_url(IDM_KEY) if start == "sp" else servers.idp_start_url(user=user))
        sign_in(page, user, PASSWORDS[user])
        wait_for_sp(page, servers, "/home" if user != "erin" else "/IdM/saml2/")
    finally:
        context.close()  # writes the HAR
        servers.remove_listener(recorder)

    imported = capture_to_trace(
        load_capture(har_path), expectations=expectations_from_workspace(servers.workspace, IDM_KEY)
    )
    assert _shape(imported) == _shape(recorder.trace)
    ours = [s for s in imported.steps if s.message is not None]
    assert {s.message.summary.kind for s in ours} >= {"Response"}
    acs = next(s for s in imported.steps if s.dst == "sp" and s.message and s.message.summary.kind == "Response")
    assert all(c.ok for c in acs.checks), acs.checks  # signature, issuer, audience... against the questionnaire
    if user == "erin":
        assert (acs.verdict, acs.code) == ("refused", "user-not-found")
        assert imported.outcome == "refused"
    else:
        assert acs.verdict == "ok" and imported.outcome == "session"
