"""Open in browser, recorded: a browser that opens the recording URL sends the edited message through
a page of the SP's own (POST) or the Redirect URL itself, and the trace holds the destination's
verdict on it, while another browser's requests meanwhile stay foreign. Real loopback servers, the
scripted browser standing in for the tester's."""

from __future__ import annotations

import pytest

from harness.core.browser import ScriptedBrowser
from harness.core.commands.send import embedded_destination
from harness.core.flow import run_flow
from harness.core.recording import PAGE_PATH
from harness.core.servers import Servers
from harness.core.workbench import edit
from harness.core.workbench.in_browser import BrowserRecording, hand_off
from harness.core.workbench.message import OpenMessage, WorkbenchError, from_trace
from harness.core.workbench.send import Destination, SendOptions
from harness.core.workbench.signing import SigningChoice
from harness.core.workspace import Workspace

BOTH = {"response", "assertion"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ws = Workspace.demo(tmp_path_factory.mktemp("inb") / "ws")
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        trace = run_flow(servers, kind="sp", idm_key="4711", username="alice").trace
        unsolicited = run_flow(servers, kind="idp", idm_key="4711", username="alice").trace
        assert trace.outcome == unsolicited.outcome == "session"
        yield ws, servers, trace, unsolicited
    ws.close()


def _bob(trace) -> OpenMessage:
    message = from_trace(trace)
    edit.set_fields(message, [("nameid", "bob")])
    return message


def _record(world, message: OpenMessage, signing: SigningChoice, **hooks) -> BrowserRecording:
    ws, servers, _trace, _unsolicited = world
    handoff = hand_off(message, SendOptions(signing=signing), embedded_destination(servers, "4711", message), ws)
    return BrowserRecording(servers, handoff, **hooks)


def _acs_steps(trace) -> list:
    return [s for s in trace.steps if s.message is not None and s.message.summary.kind == "Response"]


def test_a_kept_signature_is_refused_in_the_tester_browser_and_another_browser_stays_foreign(world) -> None:
    _ws, servers, trace, _unsolicited = world
    seen, foreign = [], []
    rec = _record(
        world,
        _bob(trace),
        SigningChoice(),
        on_step=lambda _t, s: seen.append(s),
        on_foreign=lambda _t, s: foreign.append(s),
    )
    try:
        assert rec.result().verdict == "waiting" and "waiting" in rec.result().answer()
        # another browser (a web page, a scripted flow) posts to the ACS meanwhile: not the tester's
        other = ScriptedBrowser()
        other.post(rec.handoff.url, rec.handoff.fields)
        other.close()
        tester = ScriptedBrowser()
        page = tester.get(rec.url)
        tester.close()
    finally:
        rec.stop()
    assert any(PAGE_PATH in p.url for p in tester.history)  # the SP's own page posted the message
    result = rec.result()
    assert (result.verdict, result.reason, result.status) == ("refused", "signature-invalid", page.status)
    acs = _acs_steps(rec.trace)
    assert len(acs) == 1 and acs[0].message.summary.name_id == "bob" and acs[0].code == "signature-invalid"
    assert rec.trace.steps == seen and rec.trace.outcome == "refused"
    assert len(rec.trace.foreign) == 1 and foreign == rec.trace.foreign  # kept apart, never a step
    assert all(PAGE_PATH not in s.url for s in rec.trace.steps)
    assert "NameID" in rec.trace.diff and rec.trace.user == "bob"


def test_a_resigned_message_opens_a_session_for_bob_in_the_tester_browser(world) -> None:
    _ws, servers, _trace, unsolicited = world  # IdP-initiated: made current, it answers no request
    rec = _record(world, _bob(unsolicited), SigningChoice(resign=BOTH))
    try:
        tester = ScriptedBrowser()
        tester.get(rec.url)
        tester.close()
    finally:
        rec.stop()
    result = rec.result()
    assert (result.verdict, result.login, result.reason) == ("accepted", "demo_bb", ""), result.answer()
    assert rec.trace.outcome == "session" and not rec.trace.foreign
    assert any("made current" in n for n in result.notes)
    assert [s.dst for s in rec.trace.steps][:2] == ["sp", "sp"]  # the ACS, then the SP's home page


def test_an_authn_request_reaches_the_mock_idp_by_redirect_in_the_tester_browser(world) -> None:
    ws, servers, trace, _unsolicited = world
    step = next(s for s in trace.steps if s.message is not None and s.message.summary.kind == "AuthnRequest")
    message = from_trace(trace, step.index)
    edit.set_fields(message, [("relay_state", "/deep/link")])
    handoff = hand_off(message, SendOptions(), embedded_destination(servers, "4711", message), ws)
    rec = BrowserRecording(servers, handoff)
    try:
        tester = ScriptedBrowser()  # no credentials: it stops at the IdP's login page
        tester.get(rec.url)
        tester.close()
    finally:
        rec.stop()
    result = rec.result()
    assert (result.verdict, result.status) == ("accepted", 200), result.answer()
    first = rec.trace.steps[0]
    assert first.dst == "idp" and first.method == "GET" and first.message.relay_state == "/deep/link"


def test_stopping_ends_the_token_the_page_and_the_recording(world) -> None:
    _ws, servers, trace, _unsolicited = world
    rec = _record(world, _bob(trace), SigningChoice())
    rec.stop()
    tester = ScriptedBrowser()
    page = tester.get(rec.url)
    tester.close()
    assert page.status == 404 and not rec.trace.steps and not rec.trace.foreign
    assert not servers.recordings.active(rec.token)
    assert rec.result().verdict == "waiting"


def test_another_sp_cannot_be_recorded(world) -> None:
    ws, servers, trace, _unsolicited = world
    message = _bob(trace)
    handoff = hand_off(message, SendOptions(), Destination(url="https://sp.example/acs"), ws)
    assert handoff.url == "https://sp.example/acs" and handoff.fields["SAMLResponse"]
    with pytest.raises(WorkbenchError, match="own servers"):
        BrowserRecording(servers, handoff)
    assert "bob" in handoff.sent_xml


def test_a_solicited_response_made_current_says_it_still_answers_the_old_request(world) -> None:
    ws, servers, trace, _unsolicited = world
    message = _bob(trace)
    handoff = hand_off(
        message, SendOptions(signing=SigningChoice(resign=BOTH)), Destination(url="https://sp.example/acs"), ws
    )
    assert any("InResponseTo still names" in n for n in handoff.notes)
