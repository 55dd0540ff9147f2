"""Run the embedded SP and the mock IdP as real HTTP servers on loopback, in threads.

Both sockets are bound first so each app can be configured with the other's real URL
(port 0 is allowed). Events from both fan out to any number of listeners.
"""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from collections.abc import Callable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.core import serving
from harness.core.recording import Recordings
from harness.core.workspace import Workspace
from mock_idp.app import IdPApp, create_idp_app
from mock_idp.contract import IdPRoute
from samlkit.events import Event
from sp.app import SPApp, create_sp_app
from sp.contract import REASON_HEADER, Reason

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _QuietHandler(WSGIRequestHandler):
    """Requests are reported as events; the console stays for the command's own output.

    A request that http.server refuses before any app sees it (a header or request line too
    long, a malformed request line, "HTTP/2.0" spoken to this HTTP/1.1 server) still gets a 4xx
    naming its reason in X-SAML-Reason, like every refusal of the SP: never a 431, 414 or 505
    without a reason, and never a bare HTTP/0.9 body (no status line, no headers at all).
    """

    _refusal: str | None = None

    # A client that stops sending (slowloris) is dropped after this many seconds of silence
    # instead of holding a thread for ever; Servers(request_timeout=...) sets it per server.
    timeout: float | None = 30.0

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: object) -> None:  # http.server's signature
        logging.getLogger(__name__).debug(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self._refusal = Reason.MESSAGE_TOO_LARGE if code in (413, 414, 431) else Reason.BAD_REQUEST
        if self.request_version == "HTTP/0.9":  # the request line was refused before its version was read
            self.request_version = "HTTP/1.1"
        super().send_error(code if 400 <= code < 500 else 400, message, explain)

    def end_headers(self) -> None:
        if self._refusal:
            self.send_header(REASON_HEADER, self._refusal)
            self._refusal = None
        super().end_headers()


class _Slot:
    """A WSGI app that is set after the socket is bound; `before` runs ahead of each request."""

    def __init__(self, before: Callable[[], None] | None = None) -> None:
        self.app: Callable | None = None
        self.before = before

    def __call__(self, environ: dict, start_response: Callable):
        if self.before is not None:
            self.before()
        return self.app(environ, start_response)  # type: ignore[misc]


def _free(host: str, port: int) -> bool:
    if port == 0:
        return True
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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
    ):
        # The mock IdP may be named by another host name than the SP (e.g. "localhost" beside
        # 127.0.0.1): browsers then treat the two as different sites, as with a real IdP.
        self.idp_host_name = idp_host_name
        self._handler = type("Handler", (_QuietHandler,), {"timeout": request_timeout})
        self.workspace = workspace
        self.host = host
        self.sp_port = workspace.sp_profile().port if sp_port is None else sp_port
        self.idp_port = workspace.idp_profile().port if idp_port is None else idp_port
        self._listeners: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()
        self.sp_app: SPApp | None = None
        self.idp_app: IdPApp | None = None
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self.notes: list[str] = []
        self.recordings = Recordings()
        self._revision: tuple[int, int] | None = None
        self._reload_lock = threading.RLock()
        self.reload_listeners: list[Callable[[], None]] = []  # told after the servers took workspace changes

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, fn: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners = [*self._listeners, fn]

    def remove_listener(self, fn: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners = [x for x in self._listeners if x is not fn]

    def _sink(self, event: Event) -> None:
        for fn in self._listeners:
            try:
                fn(event)
            except Exception:  # a broken listener must not break a login
                logging.getLogger(__name__).exception("trace listener failed")

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def sp_base(self) -> str:
        return self._base(self._servers[0])

    @property
    def idp_base(self) -> str:
        return self._base(self._servers[1], self.idp_host_name)

    def _base(self, server: BaseWSGIServer, name: str | None = None) -> str:
        host = name or (self.host if self.host not in ("0.0.0.0", "::") else "127.0.0.1")
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{server.server_port}"

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def start(self) -> Servers:
        if self.host not in LOOPBACK:
            warnings.warn(
                f"binding to {self.host}: the SP and the mock IdP are reachable from other machines",
                RuntimeWarning,
                stacklevel=2,
            )
        slots = [_Slot(self._follow_workspace), _Slot(self._follow_workspace)]
        for port, slot, name in ((self.sp_port, slots[0], "SP"), (self.idp_port, slots[1], "IdP")):
            if not _free(self.host, port):
                self.notes.append(f"port {port} is taken; the {name} uses a free port instead")
                port = 0
            self._servers.append(self._make_server(self.host, port, slot))
        self._revision = self.workspace.revision()
        self.sp_app = create_sp_app(
            self.workspace.sp_config(self.sp_base, self.idp_base),
            state_path=str(self.workspace.sp_state_path),
            sink=self._sink,
            on_accounts_changed=self.workspace.store_accounts,
        )
        self.idp_app = create_idp_app(self.workspace.idp_config(self.idp_base, self.sp_base), sink=self._sink)
        self.recordings.bases = (self.sp_base, self.idp_base)
        slots[0].app = self.recordings.middleware(self.sp_app)
        slots[1].app = self.recordings.middleware(self.idp_app)
        for srv in self._servers:
            self._serve(srv)
        if not self.workspace.read_only:  # the workspace's owner says where it really serves
            serving.record(self.workspace.path, self.sp_base, self.idp_base)
        return self

    def _make_server(self, host: str, port: int, app: Callable) -> BaseWSGIServer:
        srv = make_server(host, port, app, threaded=True, request_handler=self._handler)
        srv.daemon_threads = True
        return srv

    def _serve(self, srv: BaseWSGIServer) -> None:
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        self._threads.append(t)

    def add_app(self, app: Callable) -> str:
        """Serve one more WSGI app (the control API) on a free loopback port until `stop()`; its base URL."""
        srv = self._make_server("127.0.0.1", 0, app)
        self._servers.append(srv)
        self._serve(srv)
        return self._base(srv, "127.0.0.1")

    def reload(self, *, external: bool = False) -> None:
        """Apply workspace edits to the running servers; sessions, the replay cache and pending logins stay.

        `external`: the change came from elsewhere (the control API, another program), so the
        reload listeners (the app's views) are told; the app's own edits reload without it.
        """
        if not self.running:
            return
        with self._reload_lock:
            self._revision = self.workspace.revision()
            self.sp_app.reconfigure(self.workspace.sp_config(self.sp_base, self.idp_base))
            self.idp_app.reconfigure(self.workspace.idp_config(self.idp_base, self.sp_base))
        if external:
            for fn in list(self.reload_listeners):
                fn()

    def _follow_workspace(self) -> None:
        """Before each request: if another connection changed the workspace, take the change first."""
        try:
            changed = self.workspace.revision() != self._revision
            if changed:
                with self._reload_lock:
                    if self.workspace.revision() != self._revision:
                        self.reload(external=True)
        except Exception:
            logging.getLogger(__name__).exception("the workspace change could not be applied")

    def stop(self) -> None:
        # Both servers wind down at once: each shutdown waits up to one poll interval.
        stoppers = [threading.Thread(target=srv.shutdown) for srv in self._servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=5)
        for srv in self._servers:
            srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        if self.sp_app is not None:
            self.sp_app.close()
        if self._servers and not self.workspace.read_only:
            serving.clear(self.workspace.path)
        self._servers, self._threads = [], []

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
