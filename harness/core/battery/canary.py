"""The canary: a loopback URL the SP must never fetch (XXE, external references)."""

from __future__ import annotations

import http.server
import threading


class Canary:
    """A loopback HTTP server that records every path requested from it."""

    def __init__(self, host: str = "127.0.0.1"):
        hits = self.hits = []  # type: list[str]
        lock = self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                with lock:
                    hits.append(self.path)
                body = b'<!ENTITY % leak "">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.url = f"http://{host}:{self._server.server_port}/canary"

    def start(self) -> Canary:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def mark(self) -> int:
        with self._lock:
            return len(self.hits)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return list(self.hits[mark:])

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
