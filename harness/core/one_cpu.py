"""The servers' threads, and one scripted browser driving them from the same process, on one CPU.

A loopback login is some thirty hand-offs between the scripted browser's thread and the
servers' threads (a request, its answer, the interpreter lock), and only one of them runs
Python at a time anyway. Left to the scheduler, each wake-up lands on another, idle CPU: on a
virtual machine such a cross-CPU wake-up costs tens of microseconds, and that CPU's caches are
cold. Sharing one CPU, a login over loopback takes ~15% less time (bench 4), and half the
kernel time.

Only the threads of the harness's own servers are pinned (not those serving another project's
app, `RunningHarness.serve`: the threads and processes it starts would inherit the pin), and a
scripted browser's thread only while it drives a request to loopback, and only one browser at
a time (a load run's many browsers stay where the scheduler puts them). The CPU is chosen once
per process, spread over processes by pid (the mock IdP's own process takes another one).
Linux only; `SAML_HARNESS_ONE_CPU=0` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

ENV_OFF = "SAML_HARNESS_ONE_CPU"
ENV_AVOID = "SAML_HARNESS_AVOID_CPU"  # set for the mock IdP's process: the parent's CPU
ENV_CPUS = "SAML_HARNESS_CPUS"  # likewise: the CPUs the parent may use


def _allowed() -> tuple[int, ...]:
    try:
        return tuple(sorted(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return ()


# What the process may use, read before any thread of it was pinned.
ALLOWED = _allowed()
_lock = threading.Lock()
_chosen: list[int | None] = []  # empty until chosen
_borrowed = 0  # browser threads on the servers' CPU now
_serving = False  # whether a server thread of this process ever ran on it


def servers_cpu() -> int | None:
    """The CPU this process's server threads share, or None (off, one CPU only, not Linux)."""
    if _chosen:
        return _chosen[0]
    with _lock:
        if not _chosen:
            _chosen.append(_choose())
    return _chosen[0]


def _choose() -> int | None:
    if os.environ.get(ENV_OFF, "1") == "0" or len(ALLOWED) < 2:
        return None
    avoid = os.environ.get(ENV_AVOID, "")
    cpus = [c for c in ALLOWED if str(c) != avoid] or list(ALLOWED)
    return cpus[os.getpid() % len(cpus)]


def _pin(cpus: set[int] | tuple[int, ...]) -> bool:
    try:
        os.sched_setaffinity(0, cpus)  # 0: the calling thread
    except (AttributeError, OSError, ValueError):
        return False
    return True


def join_servers() -> None:
    """Called by each server thread as it starts: it runs on the servers' CPU from now on."""
    global _serving
    cpu = servers_cpu()
    if cpu is not None:
        _serving = _pin({cpu}) or _serving


@contextlib.contextmanager
def beside_servers() -> Iterator[None]:
    """The calling thread runs on the servers' CPU meanwhile, unless another browser already
    does, or this process serves nothing (then it stays where it is); its own affinity is
    restored afterwards."""
    global _borrowed
    cpu = servers_cpu() if _serving else None  # no servers in this process: nothing to join
    if cpu is None:
        yield
        return
    with _lock:
        mine = _borrowed == 0
        if mine:
            _borrowed += 1
    if not mine:
        yield
        return
    try:
        before = os.sched_getaffinity(0)
        pinned = before != {cpu} and _pin({cpu})
        try:
            yield
        finally:
            if pinned:
                _pin(before)
    finally:
        with _lock:
            _borrowed -= 1


def child_env(env: dict[str, str]) -> dict[str, str]:
    """The environment for a child process that serves too (the mock IdP's): it takes a CPU
    other than this process's servers' one, of the CPUs this process may use."""
    cpu = servers_cpu()
    if cpu is None:
        return env
    return {**env, ENV_AVOID: str(cpu), ENV_CPUS: ",".join(map(str, ALLOWED))}


def unpin_process() -> None:
    """First thing in such a child: a child started from a pinned thread inherits its one CPU,
    so it goes back to the CPUs its parent may use before choosing its own."""
    global ALLOWED
    cpus = tuple(int(c) for c in os.environ.get(ENV_CPUS, "").split(",") if c.isdigit())
    if cpus and _pin(cpus):
        ALLOWED = _allowed()
