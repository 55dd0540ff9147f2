"""harness.core.one_cpu: the servers' threads share one CPU, a single scripted browser joins them
while it drives loopback requests (and gets its own affinity back), a second browser at the same
time does not, and the mock IdP's process serves on another CPU.

The pinning tests run for real on this machine's CPUs; on a machine with one CPU the module is
a no-op, and they check exactly that."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from urllib.request import urlopen

import pytest

from harness.core import one_cpu
from harness.core.browser import ScriptedBrowser
from harness.core.http_server import EmbeddedServer, Limits
from harness.core.servers import Servers
from harness.core.workspace import Workspace

MANY = len(one_cpu.ALLOWED) >= 2


def _affinity() -> set[int]:
    return os.sched_getaffinity(0)


def test_the_cpu_is_one_the_process_may_use_spread_by_pid_and_off_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(one_cpu, "ALLOWED", (0, 1, 2, 3))
    monkeypatch.delenv(one_cpu.ENV_AVOID, raising=False)
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    assert one_cpu._choose() == 4242 % 4
    monkeypatch.setenv(one_cpu.ENV_AVOID, str(4242 % 4))
    assert one_cpu._choose() not in (None, 4242 % 4)  # the mock IdP's process: not its parent's CPU
    monkeypatch.setenv(one_cpu.ENV_OFF, "0")
    assert one_cpu._choose() is None
    monkeypatch.delenv(one_cpu.ENV_OFF)
    monkeypatch.setattr(one_cpu, "ALLOWED", (3,))
    assert one_cpu._choose() is None  # one CPU: nothing to share


def test_server_threads_run_on_the_servers_cpu() -> None:
    seen: list[set[int]] = []

    def app(env: dict, sr):
        seen.append(_affinity())
        sr("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    srv = EmbeddedServer("127.0.0.1", 0, app, limits=Limits(threads=2)).start()
    try:
        ScriptedBrowser().get(f"http://127.0.0.1:{srv.server_port}/")
    finally:
        srv.stop()
    cpu = one_cpu.servers_cpu()
    assert seen == [{cpu}] if MANY else seen == [set(one_cpu.ALLOWED)]


def test_one_browser_joins_the_servers_cpu_and_gets_its_own_affinity_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(one_cpu, "_serving", MANY)  # as once a server thread of this process started
    before = _affinity()
    inside: list[set[int]] = []
    with one_cpu.beside_servers():
        inside.append(_affinity())
        with one_cpu.beside_servers():  # nested (a frame's page): no change
            inside.append(_affinity())
    assert _affinity() == before
    expected = {one_cpu.servers_cpu()} if MANY else before
    assert inside == [expected, expected]


def test_a_second_browser_at_the_same_time_stays_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(one_cpu, "_serving", MANY)
    entered, leave = threading.Event(), threading.Event()
    second: list[set[int]] = []

    def first_browser() -> None:
        with one_cpu.beside_servers():
            entered.set()
            leave.wait(10)

    def second_browser() -> None:
        before = _affinity()
        with one_cpu.beside_servers():
            second.append(_affinity() == before)

    t = threading.Thread(target=first_browser)
    t.start()
    assert entered.wait(10)
    s = threading.Thread(target=second_browser)
    s.start()
    s.join(10)
    leave.set()
    t.join(10)
    assert second == [True]


def test_a_scripted_browser_login_restores_the_threads_affinity(tmp_path: Path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    before = _affinity()
    with Servers(ws, sp_port=0, idp_port=0) as s:
        b = ScriptedBrowser(timeout=10)
        b.get(s.login_url("4711"))
        assert b.history[-1].status == 200
    ws.close()
    assert _affinity() == before


def _cpus_of_threads(pid: int) -> set[str]:
    """Each thread's Cpus_allowed_list of process `pid` (Linux /proc)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                out.add(line.split(":", 1)[1].strip())
    return out


def test_the_mock_idps_process_serves_on_another_cpu(tmp_path: Path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    with Servers(ws, sp_port=0, idp_port=0, idp_process=True) as s:
        child = s._idp_child
        assert child is not None and child._proc is not None
        ScriptedBrowser(timeout=10).get(s.login_url("4711"))  # its workers have served
        cpus = _cpus_of_threads(child._proc.pid)
    ws.close()
    if MANY:
        mine = str(one_cpu.servers_cpu())
        pinned = {c for c in cpus if c.isdigit()}
        assert pinned and mine not in pinned, cpus  # its server threads: one CPU, not ours
    else:
        assert all(not c.isdigit() or len(one_cpu.ALLOWED) == 1 for c in cpus)


def _cpus_of_a_child() -> str:
    """The Cpus_allowed_list of a process started from the calling thread."""
    status = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True, timeout=30, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in status.splitlines() if line.startswith("Cpus_allowed_list:"))


def test_another_projects_app_served_beside_the_harness_keeps_every_cpu(saml_harness) -> None:
    """`saml_harness.serve(app)` runs the SP under test of another project: its threads, and the
    processes it starts (pysaml2's xmlsec1, a worker pool), would inherit a pin for good; they
    keep the CPUs of the process, as the test's own thread does."""
    seen: dict[str, object] = {}

    def app(env: dict, sr):
        seen["thread"], seen["child"] = _affinity(), _cpus_of_a_child()
        sr("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    url = saml_harness.serve(app)
    with urlopen(url + "/", timeout=30) as r:
        assert r.read() == b"ok"
    assert seen == {"thread": _affinity(), "child": _cpus_of_a_child()}


def test_a_browser_in_a_process_that_serves_nothing_stays_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """`send` to a loopback SP of another process, say: no server thread here to join."""
    monkeypatch.setattr(one_cpu, "_serving", False)
    before = _affinity()
    with one_cpu.beside_servers():
        assert _affinity() == before
