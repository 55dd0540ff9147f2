"""The mock IdP served from a child process (`Servers(idp_process=True)`, as `serve` runs it).

Real processes, real sockets: the login crosses both, the IdP's events reach the parent's
listeners in the order the browser met them, workspace changes reach the child (through
`reload` and without it), recordings and armed scenarios cross by command, and the child
never outlives its parent or hangs it.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from dataclasses import replace
from urllib.parse import urlencode, urlsplit

import pytest

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.http_server import Limits
from harness.core.idp_process import ChildSpec, IdPProcess, IdPProcessError, IdPRefused
from harness.core.servers import Servers
from harness.core.workspace import Workspace, WorkspaceError
from mock_idp.armed import Armed, Override, armable
from samlkit.events import RECORDING_COOKIE

IDM_KEY = "4711"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    ws = Workspace.demo(tmp_path_factory.mktemp("idp-process") / "ws")
    with Servers(ws, sp_port=0, idp_port=0, idp_process=True) as s:
        yield s
    ws.close()


def login(s: Servers, username: str = "alice", password: str | None = None) -> ScriptedBrowser:
    user = s.workspace.user(username)
    b = ScriptedBrowser(Credentials(username, password if password is not None else user.password), timeout=10)
    b.get(s.login_url(IDM_KEY))
    return b


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_idp_answers_from_another_process(servers: Servers) -> None:
    child = servers._idp_child
    assert child is not None and child._proc is not None and child._proc.pid != os.getpid()
    b = login(servers)
    assert b.history[-1].url == servers.sp_base + "/home"
    assert any(p.url.startswith(servers.idp_base) for p in b.history)


def test_idp_events_reach_the_listeners_in_the_order_of_the_login(servers: Servers) -> None:
    events: list = []
    servers.add_listener(events.append)
    try:
        login(servers)
    finally:
        servers.remove_listener(events.append)
    actors = [e.actor for e in events if e.kind == "http"]
    # the SP's start, the IdP's SSO and login, then the SP's ACS and home: never an IdP event after the ACS
    first_idp, last_idp = actors.index("idp"), len(actors) - 1 - actors[::-1].index("idp")
    assert actors[:first_idp] == ["sp"] * first_idp and set(actors[last_idp + 1 :]) == {"sp"}
    assert set(actors[first_idp : last_idp + 1]) == {"idp"}
    verdict = [e for e in events if e.kind == "verdict"]
    assert verdict and verdict[0].ok
    saml = [e for e in events if e.kind == "saml" and e.actor == "idp" and e.param == "SAMLResponse"]
    assert saml and saml[0].value  # the signed Response as it travelled, from the child


def test_without_a_listener_the_child_sends_no_events(servers: Servers) -> None:
    events: list = []
    listener = events.append
    servers.add_listener(listener)
    servers.remove_listener(listener)
    login(servers)
    servers.add_listener(listener)  # anything the child had sent meanwhile would arrive now
    try:
        servers._drain_idp_events()
    finally:
        servers.remove_listener(listener)
    assert events == []


def test_a_reload_reaches_the_child(servers: Servers) -> None:
    ws = servers.workspace
    alice = ws.user("alice")
    ws.save_user(replace(alice, password="changed-by-reload"))
    servers.reload()
    try:
        assert login(servers, password="changed-by-reload").history[-1].url == servers.sp_base + "/home"
        assert not login(servers, password=alice.password).history[-1].url.startswith(servers.sp_base)
    finally:
        ws.save_user(alice)
        servers.reload()


def test_a_change_without_reload_is_followed_by_the_child_itself(servers: Servers) -> None:
    """The first request after the change goes to the IdP, which no SP request has warned."""
    ws = servers.workspace
    alice = ws.user("alice")
    ws.save_user(replace(alice, password="seen-by-the-child"))
    try:
        b = ScriptedBrowser(Credentials("alice", "seen-by-the-child"), timeout=10)
        page = b.get(servers.idp_start_url(user=None, idm_key=IDM_KEY))
        assert page.url == servers.sp_base + "/home", page.url
    finally:
        ws.save_user(alice)
        servers.reload()


def test_a_recording_token_is_known_to_the_child_until_it_ends(servers: Servers) -> None:
    token = servers.recordings.start()
    b = ScriptedBrowser(timeout=10)
    page = b.get(servers.recording_url(token, servers.sp_base + "/"))
    hops = [p for p in b.history if "/__harness/record" in p.url]
    assert [p.status for p in hops] == [302, 302] and page.status < 500
    idp_hop = [p for p in hops if p.url.startswith(servers.idp_base)]
    assert idp_hop and f"{RECORDING_COOKIE}={token}" in idp_hop[0].headers.get("Set-Cookie", "")
    servers.recordings.end(token)
    b = ScriptedBrowser(timeout=10)
    page = b.get(servers.recordings.url(token, servers.sp_base + "/"))
    assert page.status == 404


def test_armed_scenarios_and_overrides_cross_to_the_child(servers: Servers) -> None:
    eid = servers.sp_app.config.entity_id
    idp = servers.idp_app
    idp.armed.arm(eid, Armed(armable("signature-removed-all"), 1, b"", b""))
    idp.overrides.arm(eid, Override(2, {"sign": "none"}))
    assert [a["scenario"] for a in idp.armed.listing()] == ["signature-removed-all"]
    assert idp.overrides.listing()[0]["remaining"] == 2
    b = login(servers)
    assert not b.history[-1].url.endswith("/home")  # the armed forgery was posted and refused
    assert idp.armed.listing() == []
    idp.overrides.disarm(eid)
    assert idp.overrides.listing() == []
    assert login(servers).history[-1].url == servers.sp_base + "/home"


def test_metadata_comes_from_the_child(servers: Servers) -> None:
    md = servers.idp_app.metadata
    assert servers.idp_app.config.entity_id in md and servers.idp_app.config.sso_url in md


def test_a_refusal_in_the_child_is_an_error_in_words(servers: Servers) -> None:
    """A ValueError, as in one process: the control API answers it with a 4xx, not a 5xx."""
    with pytest.raises(IdPRefused, match="count must be at least 1") as caught:
        servers.idp_app.overrides.arm("x", Override(0, {}))
    assert isinstance(caught.value, ValueError)


def test_ctrl_c_in_a_terminal_does_not_kill_the_child(servers: Servers) -> None:
    """Ctrl-C goes to the whole process group; the child must leave stopping to its parent."""
    proc = servers._idp_child._proc
    os.kill(proc.pid, signal.SIGINT)
    # its main thread waits in recv(): a KeyboardInterrupt would end it before it answers this
    assert servers.idp_app.armed.listing() == []
    assert proc.poll() is None


def test_stop_ends_the_child_and_closes_both_ports(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    s = Servers(ws, sp_port=0, idp_port=0, idp_process=True).start()
    proc = s._idp_child._proc
    ports = [int(base.rsplit(":", 1)[1]) for base in (s.sp_base, s.idp_base)]
    s.stop()
    ws.close()
    assert proc.poll() == 0
    assert all(refused(p) for p in ports)


def test_a_dead_child_is_an_error_not_a_hang(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    s = Servers(ws, sp_port=0, idp_port=0, idp_process=True).start()
    try:
        s._idp_child._proc.kill()
        s._idp_child._proc.wait(timeout=10)
        sp_port = int(s.sp_base.rsplit(":", 1)[1])
        with pytest.raises(IdPProcessError, match="gone"):
            s.idp_app.armed.listing()
        for _ in range(400):  # the pump notices within one poll (0.5 s); this only catches a hang
            if s.failure:
                break
            time.sleep(0.05)
        assert s.failure and "ended unexpectedly" in s.failure
    finally:
        s.stop()
        ws.close()
    assert refused(sp_port)


def test_the_child_ends_when_its_parent_is_gone(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    p = IdPProcess(lambda e: None)
    port = p.start(ChildSpec(str(ws.path), "127.0.0.1", 0, "http://127.0.0.1:9", None, Limits(), None))
    proc = p._proc
    p._cmd.close()  # what the parent's death does to the command pair
    assert proc.wait(timeout=20) == 0
    assert refused(port)
    p._cmd = None
    p.stop()
    ws.close()


def test_an_address_the_child_cannot_bind_is_an_oserror(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    p = IdPProcess(lambda e: None)
    with pytest.raises(OSError, match="address"):
        p.start(ChildSpec(str(ws.path), "192.0.2.1", 0, "http://127.0.0.1:9", None, Limits(), None))
    assert p._proc is None
    ws.close()


def test_the_child_runs_on_its_own_interpreter(servers: Servers) -> None:
    """Both processes are busy at once under load: the child's CPU time grows with IdP work."""
    pid = servers._idp_child._proc.pid

    def ticks() -> int:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    before = ticks()
    for _ in range(50):  # a clock tick is 10 ms of CPU, about five logins' IdP work
        login(servers)
        if ticks() > before:
            break
    assert ticks() > before


def test_a_late_answer_is_never_taken_for_the_next_one(tmp_path) -> None:
    """A child that does not answer in time (stopped here) loses its channel: no reply mix-up."""
    ws = Workspace.demo(tmp_path / "ws")
    p = IdPProcess(lambda e: None)
    p.start(ChildSpec(str(ws.path), "127.0.0.1", 0, "http://127.0.0.1:9", None, Limits(), None))
    try:
        proc = p._proc
        os.kill(proc.pid, signal.SIGSTOP)
        with pytest.raises(IdPProcessError, match="did not answer"):
            p.call("listing", "armed", timeout=0.3)
        with pytest.raises(IdPProcessError, match="not running"):
            p.call("metadata")
        assert proc.wait(timeout=20) == -signal.SIGKILL  # a hung child is ended, not left half alive
    finally:
        p.stop()
        ws.close()


def _record_url(s: Servers, token: str) -> str:
    return f"{s.idp_base}/__harness/record?{urlencode({'t': token, 'next': s.sp_base + '/'})}"


def _raw_status(url: str) -> int:
    """The status a server answers one GET with (no redirect followed)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as c:
        head = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        c.sendall(head.encode())
        return int(c.recv(64).split(b" ", 2)[1])


def test_recording_tokens_started_at_once_all_reach_the_child(servers: Servers) -> None:
    tokens: list[str] = []

    def start_ten() -> None:
        tokens.extend(servers.recordings.start() for _ in range(10))

    threads = [threading.Thread(target=start_ten) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(tokens) == 80
        assert {_raw_status(_record_url(servers, t)) for t in tokens} == {302}
    finally:
        for t in tokens:
            servers.recordings.end(t)
    assert _raw_status(_record_url(servers, tokens[0])) == 404


def test_a_recording_begun_before_a_restart_is_known_to_the_new_child(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    s = Servers(ws, sp_port=0, idp_port=0, idp_process=True).start()
    try:
        token = s.recordings.start()
        s.stop()
        s.start()
        assert _raw_status(_record_url(s, token)) == 302
    finally:
        s.stop()
        ws.close()


def test_the_child_has_its_own_session_so_a_terminal_ctrl_c_is_the_parents(servers: Servers) -> None:
    pid = servers._idp_child._proc.pid
    assert os.getsid(pid) == pid != os.getsid(0)


def test_a_bad_key_in_the_workspace_is_a_workspace_error_not_a_listening_one(tmp_path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    p = IdPProcess(lambda e: None)
    (ws.keys_dir / "idp-signing.key.pem").write_text("not a key")
    try:
        with pytest.raises(WorkspaceError, match="idp-signing"):
            p.start(ChildSpec(str(ws.path), "127.0.0.1", 0, "http://127.0.0.1:9", None, Limits(), None))
    finally:
        ws.close()
    assert p._proc is None


@pytest.mark.parametrize(
    ("request_bytes", "status", "reason"),
    [
        (b"GARBAGE\r\n\r\n", 400, b"bad-request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, b"message-too-large"),
        (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413, b"message-too-large"),
    ],
)
def test_the_childs_server_refuses_transport_garbage_with_a_reason(
    servers: Servers, request_bytes: bytes, status: int, reason: bytes
) -> None:
    """The IdP's process serves with the same limits and 4xx-with-reason answers as the SP's."""
    port = int(servers.idp_base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(request_bytes)
        data = c.recv(4096)
    assert data.startswith(f"HTTP/1.1 {status} ".encode()) and b"X-SAML-Reason: " + reason in data, data[:200]


def test_a_running_harness_whose_idp_process_died_says_so_at_the_next_login(tmp_path) -> None:
    from harness.testing import RunningHarness

    with RunningHarness.start(tmp_path / "ws", idp_process=True) as h:
        h.servers._idp_child._proc.kill()
        for _ in range(400):  # the pump notices within one poll; this only catches a hang
            if h.servers.failure:
                break
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="ended unexpectedly"):
            h.login(h.sp_login_url(), "alice")
