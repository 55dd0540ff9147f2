"""Run the embedded SP and the mock IdP as real HTTP servers on loopback, in threads.

Both sockets are bound first so each app can be configured with the other's real URL
(port 0 is allowed). Events from both fan out to any number of listeners.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from harness.core import serving, tls
from harness.core.browser_transport import trust_on_loopback
from harness.core.http_server import EmbeddedServer, Limits, TLSFiles, port_is_free
from harness.core.idp_process import ChildSpec, IdPProcess, IdPProcessError, RemoteIdP, base_url
from harness.core.recording import Recordings
from harness.core.tls import TLSMaterial
from harness.core.workspace import Workspace
from harness.core.workspace_servers import server_configs
from mock_idp.app import IdPApp, create_idp_app
from mock_idp.contract import IdPRoute
from samlkit.events import Event
from sp.app import SPApp, create_sp_app

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Slot:
    """A WSGI app that is set after the socket is bound; `before` runs ahead of each request."""

    def __init__(self, before: Callable[[], None] | None = None, app: Callable | None = None) -> None:
        self.app = app
        self.before = before

    def __call__(self, environ: dict, start_response: Callable):
        if self.before is not None:
            self.before()
        return self.app(environ, start_response)  # type: ignore[misc]


class _Fanout:
    """The apps' sink: each event to every current listener. `listening` tells the apps' per-request
    reporter (samlkit.events.http_reporter) when nobody listens, so that it builds no event."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Event], None]] = []  # replaced, never changed in place

    @property
    def listening(self) -> bool:
        return bool(self.listeners)

    def __call__(self, event: Event) -> None:
        for fn in self.listeners:
            try:
                fn(event)
            except Exception:  # a broken listener must not break a login
                logging.getLogger(__name__).exception("trace listener failed")


class Servers:
    def __init__(
        self,
        workspace: Workspace,
        *,
        host: str = "127.0.0.1",
        sp_port: int | None = None,
        idp_port: int | None = None,
        request_timeout: float = 30.0,
        idp_host_name: str | None = None,
        server_factory: Callable[..., EmbeddedServer] = EmbeddedServer,
        https: bool | None = None,
        idp_process: bool = False,
    ):
        # The mock IdP may be named by another host name than the SP (e.g. "localhost" beside
        # 127.0.0.1): browsers then treat the two as different sites, as with a real IdP.
        self.idp_host_name = idp_host_name
        # A client that stops sending (slowloris) is dropped after this many seconds of silence.
        self._limits = Limits(request_timeout=request_timeout)
        # HTTPS: both servers present a certificate from the workspace's local CA (made on
        # first use); `ca_file` is what a client verifies them against.
        self.https = workspace.sp_profile().https if https is None else https
        self.tls: TLSMaterial | None = None
        self._tls: TLSFiles | None = None
        # What serves each app: (host, port, app, limits=, tls=[, share_cpu=]) -> EmbeddedServer's
        # interface (share_cpu only for add_app(foreign=True)).
        # The benchmarks pass Werkzeug's dev server (the old one) and waitress here.
        self._server_factory = server_factory
        # The mock IdP in a child process (harness.core.idp_process): the two apps then run on
        # two cores. `serve` does this; the app and the tests keep both in this process.
        self.idp_process = idp_process
        self._idp_child: IdPProcess | None = None
        self.workspace = workspace
        self.host = host
        self.sp_port = workspace.sp_profile().port if sp_port is None else sp_port
        self.idp_port = workspace.idp_profile().port if idp_port is None else idp_port
        self._sink = _Fanout()
        self._lock = threading.Lock()
        self.sp_app: SPApp | None = None
        self.idp_app: IdPApp | RemoteIdP | None = None
        self._servers: list[EmbeddedServer] = []  # the SP, the IdP (unless in a child), added apps
        self._bases: tuple[str, str] = ("", "")
        self.notes: list[str] = []
        self.recordings = Recordings()
        self._revision: tuple[int, int] | None = None
        self._reload_lock = threading.RLock()
        self.reload_listeners: list[Callable[[], None]] = []  # told after the servers took workspace changes

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, fn: Callable[[Event], None]) -> None:
        with self._lock:
            self._sink.listeners = [*self._sink.listeners, fn]
            self._tell_child_listening()

    def remove_listener(self, fn: Callable[[Event], None]) -> None:
        with self._lock:
            self._sink.listeners = [x for x in self._sink.listeners if x is not fn]
            self._tell_child_listening()

    def _tell_child_recordings(self, tokens: frozenset[str], bases: tuple[str, ...]) -> None:
        child = self._idp_child
        if child is not None and child.ended is None:
            try:
                child.call("recordings", tokens, bases)
            except IdPProcessError:  # it died meanwhile: `failure` says so
                pass

    def _tell_child_listening(self) -> None:
        if self._idp_child is not None and self._idp_child.ended is None:
            try:
                self._idp_child.call("listening", self._sink.listening)
            except IdPProcessError:  # it died meanwhile: `failure` says so
                pass

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def sp_base(self) -> str:
        return self._bases[0]

    @property
    def idp_base(self) -> str:
        return self._bases[1]

    def _base(self, server: EmbeddedServer, name: str | None = None) -> str:
        return base_url(server.scheme, self.host, server.server_port, name)

    @property
    def ca_file(self) -> str | None:
        """The CA bundle to verify the servers with over HTTPS (None on plain HTTP)."""
        return str(self.tls.ca_cert) if self.tls else None

    @property
    def running(self) -> bool:
        return bool(self._servers)

    @property
    def failure(self) -> str | None:
        """Why the servers no longer serve as started (the IdP's process ended), in words; else None."""
        return self._idp_child.ended if self._idp_child is not None else None

    def start(self) -> Servers:
        if self.host not in LOOPBACK:
            warnings.warn(
                f"binding to {self.host}: the SP and the mock IdP are reachable from other machines",
                RuntimeWarning,
                stacklevel=2,
            )
        if self.https:
            self.tls = self._tls_material()
            self._tls = TLSFiles(str(self.tls.cert), str(self.tls.key))
            trust_on_loopback(str(self.tls.ca_cert))  # the scripted browsers of this process verify with it
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        if not self.workspace.read_only:  # the workspace's owner says where it really serves
            serving.record(self.workspace.path, self.sp_base, self.idp_base)
        return self

    def _free(self, port: int, name: str) -> int:
        if not port_is_free(self.host, port):
            self.notes.append(f"port {port} is taken; the {name} uses a free port instead")
            return 0
        return port

    def _start(self) -> None:
        sp_slot, idp_slot = _Slot(self._before_sp), _Slot(self._follow_workspace)
        sp_server = self._make_server(self.host, self._free(self.sp_port, "SP"), sp_slot)
        self._servers.append(sp_server)
        sp_base = self._base(sp_server)
        if self.idp_process:
            self._idp_child = IdPProcess(self._sink)
            port = self._idp_child.start(
                ChildSpec(
                    str(self.workspace.path),
                    self.host,
                    self._free(self.idp_port, "IdP"),
                    sp_base,
                    self.idp_host_name,
                    self._limits,
                    self._tls,
                )
            )
            idp_base = base_url(sp_server.scheme, self.host, port, self.idp_host_name)
        else:
            idp_server = self._make_server(self.host, self._free(self.idp_port, "IdP"), idp_slot)
            self._servers.append(idp_server)
            idp_base = self._base(idp_server, self.idp_host_name)
        self._bases = (sp_base, idp_base)
        self._revision = self.workspace.revision()
        self.sp_app = create_sp_app(
            self.workspace.sp_config(self.sp_base, self.idp_base),
            state_path=str(self.workspace.sp_state_path),
            sink=self._sink,
            on_accounts_changed=self.workspace.store_accounts,
        )
        idp_config = self.workspace.idp_config(self.idp_base, self.sp_base)
        self.recordings.bases = (self.sp_base, self.idp_base)
        sp_slot.app = self.recordings.middleware(self.sp_app)
        if self._idp_child is not None:
            self.idp_app = RemoteIdP(self._idp_child, idp_config)
            self.recordings.on_change = self._tell_child_recordings
            self.recordings.tell()  # the tokens of recordings begun before a restart too
            self._tell_child_listening()
        else:
            self.idp_app = create_idp_app(idp_config, sink=self._sink)
            idp_slot.app = self.recordings.middleware(self.idp_app)
        for srv in self._servers:
            self._serve(srv)

    def _tls_material(self) -> TLSMaterial:
        """The workspace's CA and certificate, made on first use; a read-only workspace is not
        written: without usable material there, a throwaway CA serves this run only."""
        hosts = (self.host, self.idp_host_name or self.host)
        if self.workspace.read_only:
            found = tls.current(self.workspace.tls_dir, hosts)
            return found or tls.ensure(Path(tempfile.mkdtemp(prefix="saml-harness-tls-")), hosts)
        return tls.ensure(self.workspace.tls_dir, hosts)

    def _make_server(self, host: str, port: int, app: Callable) -> EmbeddedServer:
        """Bound now (the port is known), serving once `_serve` runs."""
        return self._server_factory(host, port, app, limits=self._limits, tls=self._tls).bind()

    def _serve(self, srv: EmbeddedServer) -> None:
        srv.start()

    def add_app(self, app: Callable, *, foreign: bool = False) -> str:
        """Serve one more WSGI app (the control API) on a free loopback port until `stop()`; its base URL.
        Plain HTTP even when the SAML sides speak HTTPS: its clients are local scripts with a bearer token.
        `foreign`: another project's app (its SP under test): its threads keep every CPU (one_cpu)."""
        more = {"share_cpu": False} if foreign else {}
        srv = self._server_factory(
            "127.0.0.1", 0, _Slot(self._drain_idp_events, app), limits=self._limits, tls=None, **more
        ).bind()
        self._servers.append(srv)
        self._serve(srv)
        return self._base(srv, "127.0.0.1")

    def reload(self, *, external: bool = False) -> None:
        """Apply workspace edits to the running servers; sessions, the replay cache and pending logins stay.

        Both servers take the change or neither does (`server_configs`): a WorkspaceError or
        ValueError leaves both as they were.

        `external`: the change came from elsewhere (the control API, another program), so the
        reload listeners (the app's views) are told; the app's own edits reload without it.
        """
        if not self.running:
            return
        with self._reload_lock:
            self._revision = self.workspace.revision()
            sp_config, idp_config = server_configs(self.workspace, self.sp_base, self.idp_base)
            # The IdP first: it may still refuse (its pysaml2 entity, or its process, which checks
            # the SP's side too); the SP then keeps its configuration as the IdP keeps its own.
            try:
                self.idp_app.reconfigure(idp_config)
            except IdPProcessError:  # the IdP's process is gone (`failure` says so): the SP goes on alone
                self.sp_app.reconfigure(sp_config)
                raise
            self.sp_app.reconfigure(sp_config)
        if external:
            for fn in list(self.reload_listeners):
                fn()

    def _drain_idp_events(self) -> None:
        """Events the IdP's process wrote before its answers reach the listeners before this request's."""
        if self._idp_child is not None:
            self._idp_child.drain()

    def _before_sp(self) -> None:
        self._drain_idp_events()
        self._follow_workspace()

    def _follow_workspace(self) -> None:
        """Before each request: if another connection changed the workspace, take the change first."""
        try:
            changed = self.workspace.revision() != self._revision
            if changed:
                with self._reload_lock:
                    if self.workspace.revision() != self._revision:
                        self.reload(external=True)
        except IdPProcessError:  # the IdP's process is gone: `failure` says so, once
            pass
        except Exception:
            logging.getLogger(__name__).exception("the workspace change could not be applied")

    def stop(self) -> None:
        # Both servers wind down at once: each waits up to one poll of its accept loop.
        stoppers = [threading.Thread(target=srv.stop) for srv in self._servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=10)
        if self._idp_child is not None:
            self._idp_child.stop()
            self._idp_child = None
            self.recordings.on_change = None
        if self.sp_app is not None:
            self.sp_app.close()
        if self._servers and not self.workspace.read_only:
            serving.clear(self.workspace.path)
        self._servers = []
        self._bases = ("", "")

    def __enter__(self) -> Servers:
        return self.start() if not self.running else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs ---------------------------------------------------------------------------------

    def recording_url(self, token: str, target: str) -> str:
        """Open `target` in a browser so that its requests carry the recording `token`."""
        return self.recordings.url(token, target)

    def login_url(self, idm_key: str) -> str:
        return self.sp_app.config.login_url(idm_key)

    def idp_start_url(
        self, sp_entity_id: str | None = None, user: str | None = None, idm_key: str | None = None
    ) -> str:
        """The mock IdP's IdP-initiated start for an SP. With `idm_key`, the RelayState carries
        `idm_key=KEY`, as the vendor has the IdP's "default RelayState" do to choose the
        subscription, unless the IdP's settings for that SP give a default RelayState of their own."""
        from urllib.parse import urlencode

        entity = sp_entity_id or self.sp_app.config.entity_id
        params = {"sp": entity}
        if user:
            params["user"] = user
        settings = self.idp_app.config.sp(entity) if self.idp_app is not None else None
        if idm_key and not (settings and settings.default_relay_state):
            params["RelayState"] = f"idm_key={idm_key}"
        return f"{self.idp_base}{IdPRoute.START}?{urlencode(params)}"
