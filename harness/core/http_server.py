"""One WSGI app on a real socket, served by cheroot in a daemon thread: the embedding seam.

cheroot keeps connections alive (idle ones, and those whose request has not all arrived, wait
in a selector, not in a thread: http_heads) and answers with a bounded pool of worker threads;
it binds in `bind()` so the caller can read the real port before the app exists, and `stop()`
closes the listening socket and every connection.

Whatever cheroot refuses before the app runs (a request line or headers over the limit, a
malformed request line, "HTTP/2.0", a TLS handshake spoken to plain HTTP or plain HTTP to
TLS, a client that goes silent) is a 4xx naming its reason in `X-SAML-Reason`, like every
refusal of the SP, and never a 5xx.
"""

from __future__ import annotations

import io
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cheroot import errors, server, wsgi
from cheroot.workers import threadpool

from harness.core import one_cpu
from harness.core.app_gate import GATE
from harness.core.http_glue import (
    Gateway,
    HeaderBlockReader,
    Reader,
    Writer,
    http_date,
    kernel_timeouts,
    read_chunked,
    readable,
    refusal,
)
from harness.core.http_heads import CLOSED, READY, WAIT, Connections, gather, release
from harness.core.http_tls import TLSAdapter, answer_plain_http, handshake
from sp.contract import Reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one request may cost the server before (and while) the app runs."""

    header_bytes: int = 64 * 1024  # request line and headers together
    body_bytes: int = 8 * 1024 * 1024  # a backstop: the apps cap their own bodies lower (4 MiB)
    request_timeout: float = 30.0  # silence on a connection (slowloris, idle keep-alive)
    # A whole request (line, headers, body) arrives within this, or gets a 408: a client that
    # trickles a byte now and then never goes silent, and would otherwise hold a worker forever.
    request_deadline: float = 60.0
    threads: int = 16  # workers; idle keep-alive connections take none
    # After an answer, a worker waits this long on its connection for the next request before
    # handing it to the selector (at most half the workers at once, never while work queues):
    # a browser's next request then skips two thread hand-offs.
    linger: float = 0.005
    # Bodies up to 64 KiB (http_heads.SMALL_BODY) are awaited in the selector, not by a worker,
    # up to this many bytes over all connections; past it, a worker waits for one, as before.
    body_wait_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True)
class TLSFiles:
    cert_path: str  # the server certificate, then its chain
    key_path: str


# cheroot's status for a refusal -> (status we send, reason code)
_REFUSALS = {
    "413": ("413 Request Entity Too Large", Reason.MESSAGE_TOO_LARGE),  # a body over the limit
    "414": ("414 Request-URI Too Long", Reason.MESSAGE_TOO_LARGE),
    "408": ("408 Request Timeout", Reason.BAD_REQUEST),  # a client that went silent mid-request
}
_HEADERS_TOO_LARGE = ("431 Request Header Fields Too Large", Reason.MESSAGE_TOO_LARGE)


class _Buffer:
    """Collects one response while the app runs, so that it leaves in one send."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)

    def flush(self) -> None:
        pass


class _Request(server.HTTPRequest):
    header_reader = HeaderBlockReader()

    def parse_request(self) -> None:
        """cheroot's, with the request's deadline set first (Limits.request_deadline): its
        line, headers and body must all arrive by then, counted from the head's first byte
        (Reader._fill answers 408 after it)."""
        conn = self.conn
        rfile = conn.rfile
        if isinstance(rfile, Reader):
            since, conn.head_since = conn.head_since, None
            rfile.deadline = (since or time.monotonic()) + self.server.request_deadline
        super().parse_request()

    def read_request_headers(self) -> bool:
        """cheroot's, refusing Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1: faulty framing),
        which cheroot ignored: a chunked body was then read as the next request."""
        if not super().read_request_headers():
            return False
        if self.request_protocol == b"HTTP/1.0" and b"Transfer-Encoding" in self.inheaders:
            self.simple_response("400 Bad Request", "Transfer-Encoding in an HTTP/1.0 request.")
            return False
        return True

    def send_headers(self) -> None:
        """cheroot's, with the Date header formatted once per second (cheroot: per response)."""
        if not any(k.lower() == b"date" for k, _ in self.outheaders):
            self.outheaders.append((b"Date", http_date()))
        super().send_headers()

    def respond(self) -> None:
        """cheroot sends the headers and each body chunk separately: on loopback each send wakes
        the client for a partial response. The apps build whole bodies anyway: send once. An app
        that raises halfway leaves no truncated 200: its partial response is dropped, and
        cheroot's error answer (our 400 with a reason) goes out instead."""
        real, self.conn.wfile = self.conn.wfile, _Buffer()
        try:
            self._respond()
        except Exception:
            self.sent_headers = False
            raise
        finally:
            held, self.conn.wfile = self.conn.wfile, real
        if held.data:
            real.write(bytes(held.data))

    def _respond(self) -> None:
        """cheroot's `respond`, with a chunked body read whole and strictly first (read_chunked):
        a malformed one is a 400 and one over the limit a 413, not an error inside the app."""
        limit = self.server.max_request_body_size
        if self.chunked_read and isinstance(self.conn.rfile, Reader):
            try:
                self.rfile = io.BytesIO(read_chunked(self.conn.rfile, limit))
            except errors.MaxSizeExceeded:
                self.simple_response("413 Request Entity Too Large", "The request body is over the limit.")
                return
            except ValueError as err:
                self.simple_response("400 Bad Request", str(err))
                return
            self.server.gateway(self).respond()
            self.ready and self.ensure_headers_sent()
            if self.chunked_write:
                self.conn.wfile.write(b"0\r\n\r\n")
            return
        super().respond()

    def simple_response(self, status: str | bytes, msg: str | bytes = "") -> None:
        """cheroot's own answer to a request the app never sees, with our status and reason."""
        status = status.decode("latin-1") if isinstance(status, bytes) else str(status)
        text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
        if status.startswith("413") and "headers" in text:
            status, reason = _HEADERS_TOO_LARGE
        elif status[:3] in _REFUSALS:
            status, reason = _REFUSALS[status[:3]]
        else:
            status, reason = "400 Bad Request", Reason.BAD_REQUEST
        self.close_connection = True
        try:
            self.conn.wfile.write(refusal(status, reason, text or status[4:]))
        except OSError as err:
            if err.args and err.args[0] not in errors.socket_errors_to_ignore:
                raise


def _no_file(sock: socket.socket, mode: str, size: int) -> None:
    """In place of cheroot's MakeFile: a connection's reader and writer are http_glue's."""
    return None


class _Connection(server.HTTPConnection):
    RequestHandlerClass = _Request
    handshaken = False  # over TLS (see http_heads.gather)
    plain_http = False  # plain HTTP spoken to TLS
    head_since: float | None = None  # the first byte of the head being gathered (http_heads.gather)
    scanned = 0  # bytes of the buffer already searched for the head's end
    body_end = 0  # where the body awaited in the selector ends in the buffer
    held = 0  # bytes of the selector's body budget held for it

    def __init__(self, srv: server.HTTPServer, sock: socket.socket, makefile: Callable = server.MakeFile) -> None:
        super().__init__(srv, sock, _no_file)  # cheroot's buffered files are never used: ours below
        self.rfile, self.wfile = Reader(sock), Writer(sock)
        self.tls = isinstance(sock, ssl.SSLSocket)
        if not self.tls and srv.timeout:
            kernel_timeouts(sock, srv.timeout)

    def communicate(self) -> bool:
        """Over TLS, a handshake the selector could not finish without waiting ends here."""
        if self.tls and not self.handshaken:
            if self.plain_http:
                answer_plain_http(self.socket)
                return False
            since, self.head_since = self.head_since, None
            if not handshake(self.socket, (since or time.monotonic()) + self.server.request_deadline):
                return False
            self.handshaken = True
            soon = self.server.next_request_soon(self)  # a preconnect says nothing yet: to the selector
            if soon is not READY:
                return soon is WAIT
        while super().communicate():
            soon = self.server.next_request_soon(self)
            if soon is not READY:
                return soon is WAIT  # to the selector, or closed
        return False


class _Worker(threadpool.WorkerThread):
    def run(self) -> None:
        if self.server.share_cpu:
            one_cpu.join_servers()
        super().run()


class _DaemonPool(threadpool.ThreadPool):
    """cheroot's fixed pool, with daemon workers (an app that exits without `stop()` does not
    hang on them) that are waited for without cheroot's 0.1 s sleep per worker."""

    def _spawn_worker(self) -> threadpool.WorkerThread:
        worker = _Worker(self.server)
        worker.name = f"http-worker-{worker.name}"
        worker.daemon = True
        worker.start()
        while not worker.ready:
            time.sleep(0.0005)
        return worker


class _Server(wsgi.Server):
    ConnectionClass = _Connection
    request_deadline = Limits.request_deadline  # set from Limits by EmbeddedServer
    linger = Limits.linger  # likewise
    body_wait_bytes = Limits.body_wait_bytes  # likewise
    share_cpu = True  # its threads join the servers' CPU (one_cpu); see EmbeddedServer
    max_lingering = Limits.threads // 2
    _lingering = 0
    _linger_lock = threading.Lock()  # replaced per server in EmbeddedServer
    expiration_interval = 0.1  # how often the accept loop looks at `ready`: bounds stop()'s wait

    def serve(self) -> None:
        """cheroot's loop, with its helper thread a daemon too."""
        threading.Thread(target=self._serve_unservicable, daemon=True).start()
        while self.ready and not self.interrupt:
            try:
                self._connections.run(self.expiration_interval)
            except Exception:
                log.debug("cheroot serve loop", exc_info=True)

    @classmethod
    def prepare_socket(cls, bind_addr, family, type, proto, nodelay, ssl_adapter, reuse_port=False):
        """SO_REUSEADDR on port 0 too (cheroot sets it for fixed ports only), as Werkzeug did: a
        restart on the ports just used works while browsers still hold keep-alive connections."""
        sock = super().prepare_socket(bind_addr, family, type, proto, nodelay, ssl_adapter, reuse_port)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        return sock

    def prepare(self) -> None:
        """cheroot's, with its selector loop ours (http_heads.Connections)."""
        super().prepare()
        theirs, self._connections = self._connections, Connections(self)
        theirs._selector.close()

    def process_conn(self, conn: server.HTTPConnection) -> None:
        """A connection goes to a worker only once its request has arrived (http_heads): until
        then it waits in the selector, as idle ones do (cheroot handed it over at once, so a few
        that never finish a request, a slowloris, held every worker for the whole timeout)."""
        if isinstance(conn, _Connection):
            state = self._gather(conn)
            if state is WAIT:
                self._connections.wait(conn)
                return
            if state is CLOSED:
                conn.close()
                return
        super().process_conn(conn)

    def next_request_soon(self, conn: _Connection) -> str:
        """Whether `conn`'s next request arrived within `linger` (Limits.linger), for the worker
        that just answered it to serve it too (READY; else WAIT: to the selector, or CLOSED). A
        browser sends its next request to the same server within a few milliseconds (a login's
        form, the redirect after a POST): from the selector, that costs two thread hand-offs
        more. Never while work waits in the queue, and never more than half the workers at once,
        so lingering never starves new requests; a head that is not whole goes to the selector.
        A pipelined request already read waits its turn too, behind the queue (cheroot's
        `put_conn` queues it again): else clients sending request after request hold every
        worker for as long as they like."""
        sock = conn.socket
        if conn.rfile.has_data() or (conn.tls and sock.pending()):
            state = self._gather(conn)  # pipelined, or decrypted bytes a selector cannot see
            if state is READY and (self.requests.qsize or not self.ready):
                return WAIT
            if state is not WAIT:
                return state
        if self.linger <= 0:
            return WAIT
        with self._linger_lock:
            if self._lingering >= self.max_lingering or self.requests.qsize or not self.ready:
                return WAIT
            self._lingering += 1
        try:
            arrived = readable(sock, self.linger)
        finally:
            with self._linger_lock:
                self._lingering -= 1
        return self._gather(conn) if arrived else WAIT

    def _gather(self, conn: _Connection) -> str:
        """http_heads.gather; a socket that fails in a way it did not foresee (stop() shut it
        under a worker, say) closes the connection, never the selector loop."""
        try:
            return gather(conn, self.max_request_header_size, self._connections.budget)
        except Exception:
            log.debug("gathering a request failed", exc_info=True)
            release(conn, self._connections.budget)
            return CLOSED

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """What hostile or broken clients cause stays at debug; an error of the server itself
        (an app that raised: the client got a 400) is logged as one."""
        log.log(logging.ERROR if level >= logging.ERROR else logging.DEBUG, "cheroot: %s", msg, exc_info=traceback)


class EmbeddedServer:
    """A cheroot server for `app` on (host, port); port 0 picks a free one."""

    def __init__(
        self,
        host: str,
        port: int,
        app: Callable,
        *,
        limits: Limits = Limits(),
        tls: TLSFiles | None = None,
        share_cpu: bool = True,
    ) -> None:
        """`share_cpu`: the threads join the harness's servers on one CPU (one_cpu). False for
        another project's app: whatever threads and processes it starts would inherit the pin."""
        self.tls = tls
        self._server = _Server(
            (host, port),
            GATE.wrap(app),
            timeout=limits.request_timeout,
            shutdown_timeout=2,
            request_queue_size=64,
        )
        self._server.gateway = Gateway
        self._server.requests = _DaemonPool(self._server, min=limits.threads, max=limits.threads)
        self._server.max_request_header_size = limits.header_bytes
        self._server.max_request_body_size = limits.body_bytes
        self._server.request_deadline = limits.request_deadline
        self._server.linger = limits.linger
        self._server.body_wait_bytes = limits.body_wait_bytes
        self._server.share_cpu = share_cpu
        self._server.max_lingering = limits.threads // 2
        self._server._linger_lock = threading.Lock()
        self._server.server_name = "saml-harness"
        if tls is not None:
            self._server.ssl_adapter = TLSAdapter(tls.cert_path, tls.key_path)
        self._thread: threading.Thread | None = None

    def bind(self) -> EmbeddedServer:
        """Listen now (so the port is known); requests are answered once `start` runs."""
        self._server.prepare()
        return self

    @property
    def server_address(self) -> tuple[str, int]:
        return self._server.bind_addr[:2]

    @property
    def server_port(self) -> int:
        return self._server.bind_addr[1]

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def start(self) -> EmbeddedServer:
        if not self._server.ready:
            self.bind()
        self._thread = threading.Thread(target=self._serve, name=f"http-{self.server_port}", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        if self._server.share_cpu:
            one_cpu.join_servers()
        try:
            self._server.serve()
        except Exception:
            log.debug("server on port %s ended", self.server_port, exc_info=True)

    def stop(self) -> None:
        """Close the listening socket and every connection; wait for the workers."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def port_is_free(host: str, port: int) -> bool:
    if port == 0:
        return True
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
