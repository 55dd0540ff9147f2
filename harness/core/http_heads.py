"""Requests gathered in cheroot's selector thread: a worker thread is taken only by a request
whose head (request line and headers) has arrived whole, and whose body too when it is small.

cheroot handed a connection to a worker at its first bytes, and the worker then waited for the
rest: a few clients that send half a request and then trickle or stall (slowloris) held every
worker for the whole timeout. Here such a connection waits in the selector, like an idle
kept-alive one, its bytes read without waiting into its reader's buffer (so the worker parses,
limits and refuses exactly as before, from what is buffered), and one that stays silent for
`request_timeout` or is not whole within `request_deadline` gets its 408 from the selector.
Over TLS, the handshake is shaken here too (http_tls). A body over SMALL_BODY (or past the
budget of all waiting bodies), chunked, or awaited after a 100 Continue is still read by the
worker, as before.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Protocol

from cheroot import connections

from harness.core import http_tls
from harness.core.http_glue import Reader, refusal
from sp.contract import Reason

READY, WAIT, CLOSED = "ready", "wait", "closed"  # what `gather` found
SMALL_BODY = 64 * 1024  # a body up to this size waits in the selector (within the budget)

_TIMED_OUT = refusal("408 Request Timeout", Reason.BAD_REQUEST, "Request Timeout")
_CONTENT_LENGTH = b"\r\ncontent-length:"


class Gathering(Protocol):
    """What `gather` keeps on a connection (http_server._Connection)."""

    socket: socket.socket
    rfile: Reader
    tls: bool
    handshaken: bool  # its TLS handshake is done
    plain_http: bool  # it spoke plain HTTP to TLS: the worker answers it
    head_since: float | None  # monotonic time of the first byte of the request being gathered
    scanned: int  # bytes of the buffer already searched for the head's end
    body_end: int  # where the awaited body ends in the buffer (0: none awaited)
    held: int  # bytes of the body budget it holds
    last_used: float | None  # cheroot's: wall time it last went idle (the silence timeout)


class Budget:
    """Bytes of bodies the selector may await at once, over all connections (Limits.body_wait_bytes)."""

    def __init__(self, total: int) -> None:
        self.left = total
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if n > self.left:
                return False
            self.left -= n
            return True

    def give_back(self, n: int) -> None:
        with self._lock:
            self.left += n


def gather(conn: Gathering, limit: int, budget: Budget) -> str:
    """One read, never waiting, of what has arrived on a connection, into its buffer (over TLS,
    first a step of the handshake until it is done).

    READY: a worker can take the request from the buffer without waiting (see `_whole`);
    CLOSED: the stream ended before a whole request (nobody is left to answer); WAIT: not yet.
    """
    if conn.tls and not conn.handshaken:
        shaken = _shake(conn)
        if shaken is not None:
            return shaken
    rfile = conn.rfile
    got = rfile.fill_nowait()
    if not rfile.has_data():  # nothing arrived (a connection's first look, a spurious wake-up) or the end
        return CLOSED if got == 0 else WAIT
    if conn.head_since is None:
        conn.head_since = time.monotonic()
    if _whole(conn, limit, budget):
        return release(conn, budget)
    if got == 0:
        release(conn, budget)
        return CLOSED
    return WAIT


def _whole(conn: Gathering, limit: int, budget: Budget) -> bool:
    """Whether the buffer holds what the worker needs: a whole head and, when it is small and
    the budget allows, its whole body (a larger one the worker reads, as before); or a head the
    worker refuses without reading more (over `limit`, malformed: see Reader.head_end). Else
    where the search for the head's end stopped, or where the body ends, is kept on `conn`."""
    rfile = conn.rfile
    if conn.body_end:
        return rfile.buffered >= conn.body_end
    end = rfile.head_end(conn.scanned, limit)
    if end is None:
        conn.scanned = rfile.buffered
        return False
    conn.scanned = 0
    if end:
        body = small_body_length(rfile.peek(end))
        if rfile.buffered - end < body and budget.take(body):
            conn.body_end, conn.held = end + body, body
            return False
    return True


def _shake(conn: Gathering) -> str | None:
    """A step of `conn`'s TLS handshake: None once done (its request may follow at once)."""
    if conn.head_since is None:
        conn.head_since = time.monotonic()  # the deadline counts the handshake in
    step = http_tls.handshake_nowait(conn.socket)
    if step == http_tls.DONE:
        conn.handshaken = True
        return None
    if step == http_tls.MORE:
        return WAIT
    conn.plain_http = step == http_tls.PLAIN
    return READY if step in (http_tls.PLAIN, http_tls.WORKER) else CLOSED


def release(conn: Gathering, budget: Budget) -> str:
    """Forget what was gathered about `conn`'s request (it goes to a worker or is closed): READY."""
    if conn.held:
        budget.give_back(conn.held)
    conn.scanned = conn.body_end = conn.held = 0
    return READY


def small_body_length(head: bytes) -> int:
    """The Content-Length of a request `head` (ending in its blank line) whose body may wait in
    the selector: a single plain one up to SMALL_BODY, without Transfer-Encoding or Expect (that
    client waits for the worker's 100 Continue); else 0, and the worker reads the body (or
    refuses its framing) as before."""
    low = head.lower()
    at = low.find(_CONTENT_LENGTH)
    if at < 0 or low.find(_CONTENT_LENGTH, at + 1) >= 0 or b"\r\ntransfer-encoding:" in low or b"\r\nexpect:" in low:
        return 0
    start = at + len(_CONTENT_LENGTH)
    value = low[start : low.find(b"\r\n", start)].strip(b" \t")
    if not value.isdigit() or len(value) > 9:
        return 0
    length = int(value)
    return length if length <= SMALL_BODY else 0


class Connections(connections.ConnectionManager):
    """cheroot's selector loop and its idle connections, with the requests being gathered among
    them: those get a 408 when silent for the server's `timeout` (Limits.request_timeout) or
    not whole within its `request_deadline` (counted from their first byte)."""

    def __init__(self, server) -> None:
        super().__init__(server)
        self.budget = Budget(server.body_wait_bytes)

    def wait(self, conn: Gathering) -> None:
        """Watch `conn` for its next bytes (from any thread); the silence timeout starts now."""
        conn.last_used = time.time()
        try:
            self._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)
        except (OSError, ValueError, KeyError, RuntimeError):  # the server is stopping
            release(conn, self.budget)
            conn.close()

    def _expire(self, threshold: float) -> None:
        """cheroot's (an idle connection silent since before `threshold` is closed), with the
        408 for a partial request that is silent as long or past its deadline."""
        server = self.server
        started_before = time.monotonic() - server.request_deadline
        expired = [
            (fd, conn)
            for fd, conn in list(self._selector.connections)
            if conn is not server and (conn.last_used < threshold or _started(conn) < started_before)
        ]
        for fd, conn in expired:
            self._selector.unregister(fd)
            if conn.rfile.has_data():
                release(conn, self.budget)
                _answer_nowait(conn.socket, _TIMED_OUT)
            conn.close()


def _answer_nowait(sock: socket.socket, data: bytes) -> None:
    """`data` sent if the socket takes it now (a small answer to an idle socket does), else dropped."""
    try:
        sock.settimeout(0)
        sock.send(data)
    except OSError:
        pass


def _started(conn: Gathering) -> float:
    """When the request being gathered began to arrive (infinitely late if none is)."""
    since = getattr(conn, "head_since", None)
    return float("inf") if since is None else since
