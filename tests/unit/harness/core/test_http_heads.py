"""harness.core.http_heads: the selector hands a request to a worker only when the worker can
take it from the buffer without waiting, and holds the body budget only while it waits."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.core.http_glue import Reader
from harness.core.http_heads import CLOSED, READY, SMALL_BODY, WAIT, Budget, gather, small_body_length


@dataclass
class _Conn:
    socket: socket.socket
    rfile: Reader
    tls: bool = False
    handshaken: bool = False
    plain_http: bool = False
    head_since: float | None = None
    scanned: int = 0
    body_end: int = 0
    held: int = 0
    last_used: float | None = None


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, _Conn]]:
    client, served = socket.socketpair()
    yield client, _Conn(served, Reader(served))
    client.close()
    served.close()


def _feed(client: socket.socket, conn: _Conn, data: bytes, budget: Budget | None = None, limit: int = 4096) -> str:
    client.sendall(data)
    return gather(conn, limit, budget or Budget(1 << 20))


HEAD = b"GET /x HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"


def _post(body_length: int, extra: bytes = b"") -> bytes:
    return b"POST / HTTP/1.1\r\nHost: x\r\n" + extra + b"Content-Length: %d\r\n\r\n" % body_length


def test_a_head_that_trickles_waits_until_its_blank_line(pair) -> None:
    client, conn = pair
    states = [_feed(client, conn, HEAD[i : i + 1]) for i in range(len(HEAD))]
    assert states == [WAIT] * (len(HEAD) - 1) + [READY]
    assert conn.head_since is not None and conn.scanned == 0
    assert conn.rfile.read(len(HEAD)) == HEAD  # all of it left for the worker


def test_the_blank_line_split_across_reads_is_found(pair) -> None:
    client, conn = pair
    assert _feed(client, conn, HEAD[:-3]) == WAIT
    assert _feed(client, conn, HEAD[-3:-1]) == WAIT
    assert _feed(client, conn, HEAD[-1:]) == READY


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nX-Pad: " + b"p" * 5000,  # over the 4096-byte limit: the worker's 431
        b"GET / HTTP/1.1\nHost: x",  # a bare LF: the worker's 400
        b"GET / HTTP/1.1\r\nHost: x\n",
        b"GARBAGE\r\n",  # a request line that is not METHOD TARGET HTTP/x.y: the worker's 400
        b"\r\nGET /x\r\nHost: x",
        b"GET  /x HTTP/1.1\r\n",
        b"HTTP/1.1 /x GET\r\nHo",
        b"GET /x HTTP/2.0\r\n",  # the worker's 505
    ],
)
def test_what_the_worker_refuses_without_more_bytes_goes_to_it_at_once(pair, data: bytes) -> None:
    client, conn = pair
    assert _feed(client, conn, data) == READY


@pytest.mark.parametrize(
    "data",
    [
        b"GET /x HTTP/1.1\r\nHost: x",
        b"\r\nGET /x HTTP/1.1\r\n",
        b"OPTIONS * HTTP/1.1 \r\n",
        b"GARBAGE",
        # Lines cheroot's read_request_line accepts, then reads the rest of the head: sent to a
        # worker early, a client sending nothing more held it for the whole timeout.
        b"G<T /x HTTP/1.1\r\nHo",
        b" GET /x HTTP/1.1\r\n",
        b"GET /x HTTP/01.1\r\n",
    ],
)
def test_a_head_whose_request_line_may_be_served_waits(pair, data: bytes) -> None:
    client, conn = pair
    assert _feed(client, conn, data) == WAIT


def test_nothing_yet_waits_and_the_end_of_the_stream_closes(pair) -> None:
    client, conn = pair
    assert gather(conn, 4096, Budget(0)) == WAIT
    client.shutdown(socket.SHUT_WR)
    assert gather(conn, 4096, Budget(0)) == CLOSED


def test_the_end_of_the_stream_after_half_a_request_closes(pair) -> None:
    client, conn = pair
    budget = Budget(100)
    assert _feed(client, conn, _post(10) + b"abc", budget) == WAIT
    client.shutdown(socket.SHUT_WR)
    assert gather(conn, 4096, budget) == CLOSED
    assert budget.left == 100


def test_a_whole_request_before_the_end_of_the_stream_is_served(pair) -> None:
    client, conn = pair
    client.sendall(HEAD)
    client.shutdown(socket.SHUT_WR)
    assert gather(conn, 4096, Budget(0)) == READY


def test_a_small_body_is_awaited_within_the_budget_and_gives_it_back(pair) -> None:
    client, conn = pair
    budget = Budget(100)
    assert _feed(client, conn, _post(10) + b"abc", budget) == WAIT
    assert budget.left == 90 and conn.held == 10
    assert _feed(client, conn, b"defg", budget) == WAIT
    assert _feed(client, conn, b"hij", budget) == READY
    assert budget.left == 100 and conn.held == conn.body_end == 0


def test_a_body_already_there_or_over_the_budget_goes_to_the_worker(pair) -> None:
    client, conn = pair
    budget = Budget(5)
    assert _feed(client, conn, _post(3) + b"abc", budget) == READY
    conn.rfile.read(conn.rfile.buffered)  # the worker took that request
    assert _feed(client, conn, _post(10) + b"abc", budget) == READY  # the worker waits for it, as before
    assert budget.left == 5


@pytest.mark.parametrize(
    "head, expected",
    [
        (_post(10), 10),
        (b"POST / HTTP/1.1\r\ncontent-LENGTH:  7 \r\n\r\n", 7),
        (_post(SMALL_BODY), SMALL_BODY),
        (_post(SMALL_BODY + 1), 0),  # larger: the worker reads it
        (_post(10, b"Expect: 100-continue\r\n"), 0),  # its client waits for the worker's 100 Continue
        (_post(10, b"Transfer-Encoding: chunked\r\n"), 0),  # the worker refuses the framing
        (_post(10, b"Content-Length: 10\r\n"), 0),  # twice: the worker decides
        (_post(10).replace(b"10", b"+1"), 0),
        (_post(10).replace(b"10", b"99999999999999999999"), 0),
        (b"GET / HTTP/1.1\r\ncOnTeNt-LeNgTh: 10\r\n\r\n", 10),  # whatever the method and the case
        (b"POST / HTTP/1.1\r\nX-Content-Length: 10\r\n\r\n", 0),
    ],
)
def test_only_a_single_plain_small_content_length_is_awaited(head: bytes, expected: int) -> None:
    assert small_body_length(head) == expected
