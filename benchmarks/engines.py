"""Other WSGI servers behind the same seam as `harness.core.http_server.EmbeddedServer`, for
the benchmarks only: Werkzeug's development server (what `Servers` used before, the baseline
of bench 4) and waitress (the other candidate measured by `compare_http_servers.py`).

Each takes (host, port, app, limits=, tls=) and has bind/start/stop, server_port,
server_address and scheme, so `Servers(..., server_factory=...)` can run either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from harness.core.http_server import Limits, TLSFiles


class WerkzeugDevServer:
    """Werkzeug's threaded `make_server`, one thread per request, `Connection: close`, as before."""

    scheme = "http"

    def __init__(self, host: str, port: int, app: Callable, *, limits: Limits = Limits(), tls: TLSFiles | None = None):  # noqa: B008
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            timeout = limits.request_timeout

            def log_request(self, *a: object) -> None:
                pass

        self._srv = make_server(host, port, app, threaded=True, request_handler=Quiet)
        self._srv.daemon_threads = True
        self._thread: threading.Thread | None = None

    def bind(self) -> WerkzeugDevServer:
        return self

    @property
    def server_port(self) -> int:
        return self._srv.server_port

    @property
    def server_address(self) -> tuple[str, int]:
        return self._srv.server_address[:2]

    def start(self) -> WerkzeugDevServer:
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class WaitressServer:
    """waitress: an asyncore loop for the sockets, a fixed pool of threads for the app."""

    scheme = "http"  # waitress does not speak TLS

    def __init__(self, host: str, port: int, app: Callable, *, limits: Limits = Limits(), tls: TLSFiles | None = None):  # noqa: B008
        from waitress.server import create_server

        if tls is not None:
            raise ValueError("waitress has no TLS")
        self._srv = create_server(
            app,
            host=host,
            port=port,
            threads=limits.threads,
            channel_timeout=int(limits.request_timeout),
            max_request_header_size=limits.header_bytes,
            max_request_body_size=limits.body_bytes,
            asyncore_loop_timeout=1,
        )
        self._thread: threading.Thread | None = None

    def bind(self) -> WaitressServer:
        return self

    @property
    def server_port(self) -> int:
        return self._srv.effective_port

    @property
    def server_address(self) -> tuple[str, int]:
        return self._srv.effective_host, self._srv.effective_port

    def start(self) -> WaitressServer:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._srv.run()
        except (OSError, ValueError):  # the map changes under the loop when stop() closes it
            pass

    def stop(self) -> None:
        """waitress has no stop: close the listener and every channel, then the task threads."""
        self._srv.close()
        for channel in list(self._srv._map.values()):
            channel.close()
        self._srv.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
