"""The mock IdP served from a child process, so that the SP and the IdP run on two cores.

Every app of one Python process shares one interpreter lock: with both apps in one process a
machine's second core sits idle however many browsers log in (docs/ARCHITECTURE.md,
"Serving"). `Servers(idp_process=True)`, which `serve` uses, runs the mock IdP here instead.

The child is `python -m harness.core.idp_process`. It opens the workspace read-only, binds the
IdP's socket, serves `create_idp_app` on an `EmbeddedServer` and follows workspace changes
before each request, as `Servers` does for the SP. The parent talks to it over two socket
pairs: commands, each answered before the call returns (reload, arm and disarm the next
Responses, the metadata, the recording tokens, whether anybody listens), and the IdP's trace
events, which the parent hands to its listeners. A child writes an event before its answer
leaves, and the parent takes every waiting event before each SP request (`drain`), so a trace
keeps the order in which the browser met the two servers. The child ends when told, or when
its parent's end of the command pair closes (the parent died).
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from harness.core import one_cpu
from harness.core.http_server import Limits, TLSFiles
from harness.core.workspace_records import WorkspaceError
from samlkit.events import Event

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # the child imports pysaml2 and binds: seconds on a busy machine, never more
CALL_TIMEOUT = 30.0
PUMP_PAUSE = 0.05  # seconds the pump gathers events before it hands them on


class IdPProcessError(RuntimeError):
    """The child is gone or does not answer; the message says which."""


class IdPRefused(ValueError):
    """The child refused a command (a config it cannot use, a count below 1...), in its words."""


class _OSRefusal(OSError):
    """The child could not bind its address: the same kind of error as when the parent cannot."""


_REFUSALS: dict[str, Callable[[str], Exception]] = {"os": _OSRefusal, "workspace": WorkspaceError}


def _refusal_kind(err: Exception) -> str:
    return "os" if isinstance(err, OSError) else "workspace" if isinstance(err, WorkspaceError) else "value"


@dataclass(frozen=True)
class ChildSpec:
    """All the child needs: plain values (they are pickled)."""

    workspace_path: str
    host: str
    port: int
    sp_base: str
    host_name: str | None  # how browsers name the IdP's host (None: `host`)
    limits: Limits
    tls: TLSFiles | None


def base_url(scheme: str, host: str, port: int, name: str | None = None) -> str:
    """A server's base URL as browsers reach it (a wildcard address is reached on loopback)."""
    host = name or (host if host not in ("0.0.0.0", "::") else "127.0.0.1")
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


# -- the parent's side ----------------------------------------------------------------------------


class IdPProcess:
    """The child process, its command channel and the pump for its events."""

    def __init__(self, sink: Callable[[Event], None]) -> None:
        self._sink = sink
        self.ended: str | None = None  # set, in words, if the child ended without being told to
        self._proc: subprocess.Popen | None = None
        self._cmd: Connection | None = None
        self._events: Connection | None = None
        self._call_lock = threading.Lock()
        self._event_lock = threading.Lock()
        self._pump: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    def start(self, spec: ChildSpec) -> int:
        """Spawn the child and wait until it serves; its port. OSError if it cannot listen."""
        cmd_parent, cmd_child = socket.socketpair()
        ev_parent, ev_child = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "harness.core.idp_process", str(cmd_child.fileno()), str(ev_child.fileno())],
                pass_fds=(cmd_child.fileno(), ev_child.fileno()),
                stdin=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=True,  # a terminal's Ctrl-C is for the parent, which stops the child
                env=one_cpu.child_env(dict(os.environ)),  # its servers take another CPU than ours
            )
        finally:
            cmd_child.close()
            ev_child.close()
        self._cmd = Connection(cmd_parent.detach())
        self._events = Connection(ev_parent.detach())
        try:
            self.port = self.call("start", spec, timeout=START_TIMEOUT)
        except IdPProcessError as err:  # gone, or silent: a refusal (a bad key, an address) passes as it is
            self.stop()
            raise OSError(f"the mock IdP's process did not start: {err}") from err
        except BaseException:
            self.stop()
            raise
        self._pump = threading.Thread(target=self._pump_events, name="idp-events", daemon=True)
        self._pump.start()
        return self.port

    def call(self, op: str, *args: Any, timeout: float = CALL_TIMEOUT) -> Any:
        """One command, answered by the child before this returns."""
        with self._call_lock:
            if self._cmd is None:
                raise IdPProcessError("the mock IdP's process is not running")
            try:
                self._cmd.send((op, args))
                if not self._cmd.poll(timeout):
                    # a late answer must never be read as the next command's: this channel is
                    # done, and so is a child that hangs (`failure` then says so)
                    self._cmd.close()
                    self._cmd = None
                    if self._proc is not None:
                        self._proc.kill()
                    raise IdPProcessError(f"the mock IdP's process did not answer {op!r} within {timeout:.0f} s")
                ok, value = self._cmd.recv()
            except (OSError, EOFError) as err:
                raise IdPProcessError(f"the mock IdP's process is gone ({err or type(err).__name__})") from err
        if not ok:
            kind, text = value
            raise _REFUSALS.get(kind, IdPRefused)(text)
        return value

    def drain(self) -> bool:
        """Hand every event the child has written so far to the listeners, in order; False once
        the child's end is closed."""
        events = self._events
        if events is None:
            return False
        with self._event_lock:
            try:
                while events.poll(0):
                    self._dispatch(events.recv())
            except (OSError, EOFError, ValueError):
                return False
        return True

    def _dispatch(self, event: Event) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken listener must not stop the pump
            log.exception("trace listener failed")

    def _pump_events(self) -> None:
        events, proc = self._events, self._proc
        alive = True
        while alive and events is not None and not self._stopping.is_set():
            try:
                if events.poll(0.5):
                    alive = self.drain()
                    # Gather for a moment: each SP request drains first anyway (the order), so
                    # this thread only keeps the pipe from filling; waking per event cost the
                    # SP's interpreter lock ~10% of its logins under load.
                    self._stopping.wait(PUMP_PAUSE)
            except (OSError, EOFError, ValueError):
                alive = False
        if self._stopping.is_set() or proc is None:
            return
        try:
            code = proc.wait(timeout=10)  # its end of the pair closes as it exits
        except subprocess.TimeoutExpired:
            code = None
        if not self._stopping.is_set():
            self.ended = f"the mock IdP's process ended unexpectedly (exit status {code})"
            log.info("%s", self.ended)  # `Servers.failure` says it to the user

    def stop(self) -> None:
        """Stop serving (every port closed), then end the child; kill it if it does not end."""
        self._stopping.set()
        if self._cmd is not None:
            try:
                self.call("stop", timeout=10)
            except IdPProcessError:
                pass
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        if self._pump is not None:
            self._pump.join(timeout=2)
        self.drain()
        for conn in (self._cmd, self._events):
            if conn is not None:
                conn.close()
        self._cmd = self._events = None
        self._proc = None


class _RemoteNext:
    """`NextResponses` (armed scenarios or overrides) of the IdP in the child, by command."""

    def __init__(self, process: IdPProcess, which: str) -> None:
        self._process, self._which = process, which

    def arm(self, entity_id: str, item: Any) -> None:
        # A scenario travels by name: its builder need not be picklable.
        scenario = getattr(item, "scenario", None)
        payload = replace(item, scenario=None) if scenario is not None else item
        self._process.call("arm", self._which, entity_id, payload, scenario.name if scenario else None)

    def disarm(self, entity_id: str | None = None) -> None:
        self._process.call("disarm", self._which, entity_id)

    def listing(self) -> list[dict]:
        return self._process.call("listing", self._which)


class RemoteIdP:
    """What the harness uses of `IdPApp` (its config, metadata, next Responses, reconfigure) for an
    IdP in a child process. `config` is the parent's own copy, made from the same workspace."""

    def __init__(self, process: IdPProcess, config: Any) -> None:
        self._process = process
        self.config = config
        self.armed = _RemoteNext(process, "armed")
        self.overrides = _RemoteNext(process, "overrides")

    @property
    def metadata(self) -> str:
        return self._process.call("metadata")

    def reconfigure(self, config: Any) -> None:
        """The child reads the workspace again; a config it cannot use is an error here too."""
        self._process.call("reload")
        self.config = config


# -- the child's side -----------------------------------------------------------------------------


class _PipeSink:
    """The IdP app's sink in the child: each event to the parent, only while somebody listens there."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.listening = False

    def __call__(self, event: Event) -> None:
        if not self.listening:
            return
        with self._lock:
            self._conn.send(event)


class _Child:
    def __init__(self, events: Connection) -> None:
        from harness.core.recording import Recordings

        self.sink = _PipeSink(events)
        self.recordings = Recordings()
        self.server: Any = None
        self.app: Any = None
        self.workspace: Any = None
        self.bases: tuple[str, str] = ("", "")
        self._revision: tuple[int, int] | None = None
        self._reload_lock = threading.Lock()
        self.done = threading.Event()

    def start(self, spec: ChildSpec) -> int:
        from harness.core.http_server import EmbeddedServer
        from harness.core.workspace import Workspace
        from mock_idp.app import create_idp_app

        self.workspace = Workspace(spec.workspace_path, read_only=True)
        self.server = EmbeddedServer(spec.host, spec.port, self._serve, limits=spec.limits, tls=spec.tls).bind()
        idp_base = base_url(self.server.scheme, spec.host, self.server.server_port, spec.host_name)
        self.bases = (idp_base, spec.sp_base)
        self._revision = self.workspace.revision()
        self.app = create_idp_app(self.workspace.idp_config(*self.bases), sink=self.sink)
        self._wrapped = self.recordings.middleware(self.app)
        self.server.start()
        return self.server.server_port

    def _serve(self, environ: dict, start_response: Callable):
        self._follow_workspace()
        return self._wrapped(environ, start_response)

    def reload(self) -> None:
        """Take the workspace as it is now, only if the SP can use it too (the same check as the
        parent's `Servers.reload`): else the IdP keeps the configuration the SP keeps."""
        from harness.core.workspace_servers import server_configs

        with self._reload_lock:
            self._revision = self.workspace.revision()
            idp_base, sp_base = self.bases
            _, config = server_configs(self.workspace, sp_base, idp_base)
            self.app.reconfigure(config)

    def _follow_workspace(self) -> None:
        """Before each request: a change committed elsewhere is taken first (as `Servers` does)."""
        try:
            if self.workspace.revision() != self._revision:
                self.reload()
        except Exception:
            log.exception("the workspace change could not be applied")

    def _next(self, which: str) -> Any:
        return self.app.armed if which == "armed" else self.app.overrides

    def handle(self, op: str, args: tuple) -> Any:
        if op == "start":
            return self.start(*args)
        if op == "reload":
            return self.reload()
        if op == "arm":
            which, entity_id, item, scenario_name = args
            if scenario_name is not None:
                from mock_idp.armed import armable

                item = replace(item, scenario=armable(scenario_name))
            return self._next(which).arm(entity_id, item)
        if op == "disarm":
            return self._next(args[0]).disarm(args[1])
        if op == "listing":
            return self._next(args[0]).listing()
        if op == "metadata":
            return self.app.metadata
        if op == "listening":
            self.sink.listening = bool(args[0])
            return None
        if op == "recordings":
            tokens, bases = args
            self.recordings.replace(tokens, bases)
            return None
        if op == "stop":
            if self.server is not None:
                self.server.stop()
            self.done.set()
            return None
        raise ValueError(f"unknown command {op!r}")


def child_main(cmd_fd: int, events_fd: int) -> int:
    cmd, events = Connection(cmd_fd), Connection(events_fd)
    child = _Child(events)
    while not child.done.is_set():
        try:
            op, args = cmd.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            break  # the parent is gone: stop serving with it
        try:
            answer = (True, child.handle(op, args))
        except Exception as err:  # every refusal goes back to the parent in words
            log.debug("command %s failed", op, exc_info=True)
            answer = (False, (_refusal_kind(err), f"{err}" or type(err).__name__))
        try:
            cmd.send(answer)
        except (OSError, ValueError):
            break
    if child.server is not None and not child.done.is_set():
        child.server.stop()
    if child.workspace is not None:
        child.workspace.close()
    return 0


if __name__ == "__main__":
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    one_cpu.unpin_process()

    warnings.filterwarnings("ignore", message=".*CFB.*")  # pysaml2 imports a cipher cryptography deprecates
    logging.basicConfig(level=logging.WARNING, format="mock IdP: %(message)s")
    os._exit(child_main(int(sys.argv[1]), int(sys.argv[2])))
