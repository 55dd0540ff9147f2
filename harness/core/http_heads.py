"""Request heads gathered in cheroot's selector thread: a worker thread is taken only by a
request whose head (request line and headers) has arrived whole.

cheroot handed a connection to a worker at its first bytes, and the worker then waited for the
rest: a few clients that send half a head and then trickle or stall (slowloris) held every
worker for the whole timeout. Here such a connection waits in the selector, like an idle
kept-alive one, its bytes read without waiting into its reader's buffer (so the worker parses,
limits and refuses exactly as before, from what is buffered), and one that stays silent for
`request_timeout` or is not whole within `request_deadline` gets its 408 from the selector.

Over TLS the handshake and the head are still read by the worker (non-blocking TLS is not here).
"""

from __future__ import annotations

import selectors
import socket
import time
from typing import Protocol

from cheroot import connections

from harness.core.http_glue import Reader, refusal
from sp.contract import Reason

READY, WAIT, CLOSED = "ready", "wait", "closed"  # what `gather` found

_TIMED_OUT = refusal("408 Request Timeout", Reason.BAD_REQUEST, "Request Timeout")


class Gathering(Protocol):
    """What `gather` needs of a connection (http_server._Connection)."""

    socket: socket.socket
    rfile: Reader
    head_since: float | None  # monotonic time of the first byte of the head being gathered
    scanned: int  # bytes of the buffer already searched for the head's end
    last_used: float | None  # cheroot's: wall time it last went idle (the silence timeout)


def gather(conn: Gathering, limit: int) -> str:
    """One read, never waiting, of what has arrived on a plain connection, into its buffer.

    READY: a worker can take the head from the buffer without waiting (whole, over `limit`, or
    malformed: see Reader.head_arrived; or the stream ended after some bytes, which the worker
    then answers at once); CLOSED: the stream ended with nothing buffered; WAIT: not yet.
    """
    rfile = conn.rfile
    got = rfile.fill_nowait()
    if got == 0:
        if not rfile.has_data():
            return CLOSED
    elif not rfile.has_data():  # nothing arrived (a connection's first look, or a spurious wake-up)
        return WAIT
    elif conn.head_since is None:
        conn.head_since = time.monotonic()
    if got == 0 or rfile.head_arrived(conn.scanned, limit):
        conn.scanned = 0
        return READY
    conn.scanned = rfile.buffered
    return WAIT


class Connections(connections.ConnectionManager):
    """cheroot's selector loop and its idle connections, with the connections whose head is
    being gathered among them: those get a 408 when silent for the server's `timeout`
    (Limits.request_timeout) or not whole within its `request_deadline`."""

    def wait(self, conn: Gathering) -> None:
        """Watch `conn` for its next bytes (from any thread); the silence timeout starts now."""
        conn.last_used = time.time()
        try:
            self._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)
        except (OSError, ValueError, KeyError, RuntimeError):  # the server is stopping
            conn.close()

    def _expire(self, threshold: float) -> None:
        """cheroot's (an idle connection silent since before `threshold` is closed), with the
        408 for a partial head that is silent as long or past its deadline."""
        server = self.server
        started_before = time.monotonic() - server.request_deadline
        expired = [
            (fd, conn)
            for fd, conn in list(self._selector.connections)
            if conn is not server and (conn.last_used < threshold or _started(conn) < started_before)
        ]
        for fd, conn in expired:
            self._selector.unregister(fd)
            if conn.rfile.has_data() and not getattr(conn, "tls", True):
                try:
                    conn.socket.send(_TIMED_OUT, socket.MSG_DONTWAIT)
                except OSError:
                    pass
            conn.close()


def _started(conn: Gathering) -> float:
    """When the head being gathered began to arrive (infinitely late if none is)."""
    since = getattr(conn, "head_since", None)
    return float("inf") if since is None else since
