"""harness.core.browser_wire: the scripted browser's own HTTP/1.1 client reads what servers send
(framings, folded and repeated headers, 1xx, compressed bodies) and turns every malformed,
oversized or cut-off answer into a BrowserError naming the problem, never a hang."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from harness.core.browser import BrowserError, ScriptedBrowser
from harness.core.browser_transport import encode_request
from harness.core.browser_wire import MAX_HEAD, TransportError, parse_head

Script = Callable[[socket.socket, int], None]  # (accepted connection, its index)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return data
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            while len(body) < int(line.split(b":")[1]):
                body += conn.recv(65536)
    return head


@pytest.fixture
def raw_server() -> Iterator[Callable[[Script], str]]:
    """A loopback socket server answering each connection with a scripted function."""
    socks: list[socket.socket] = []

    def start(script: Script) -> str:
        srv = socket.create_server(("127.0.0.1", 0))
        socks.append(srv)

        def serve() -> None:
            i = 0
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                with conn:
                    try:
                        script(conn, i)
                    except OSError:
                        pass
                i += 1

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{srv.getsockname()[1]}/"

    yield start
    for s in socks:
        s.close()


def _answer(raw: bytes) -> Script:
    def script(conn: socket.socket, _i: int) -> None:
        _read_request(conn)
        conn.sendall(raw)

    return script


def _get(url: str) -> object:
    b = ScriptedBrowser(timeout=5)
    try:
        return b.get(url)
    finally:
        b.close()


def test_parse_head_unfolds_folded_headers_and_keeps_repeats_in_order() -> None:
    status, http11, headers = parse_head(
        b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n\tthree\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nEmpty:"
    )
    assert (status, http11) == (200, True)
    assert headers == [("X-A", "one two three"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Empty", "")]


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/2 200 OK",
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 abc OK",
        b"HTTP/1.1 099 Low",
        b"ICY 200 OK",
        b"HTTP/1.1 200 OK\r\n folded first",
        b"HTTP/1.1 200 OK\r\nno colon here",
        b"HTTP/1.1 200 OK\r\nBad Name: x",
        b"HTTP/1.1 200 OK" + b"\r\nX: y" * 101,
    ],
)
def test_parse_head_refuses_what_is_not_an_http_head(head: bytes) -> None:
    with pytest.raises(TransportError):
        parse_head(head)


def test_a_chunked_body_with_extensions_and_trailers(raw_server) -> None:
    url = raw_server(
        _answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain; charset=latin-1\r\n\r\n"
            b"5;ext=1\r\nhallo\r\n3\r\n \xe9!\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
    )
    page = _get(url)
    assert page.status == 200 and page.text == "hallo é!"


def test_informational_answers_are_skipped_and_bare_line_feeds_read(raw_server) -> None:
    url = raw_server(_answer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\nContent-Length: 2\n\nok"))
    page = _get(url)
    assert (page.status, page.text) == (201, "ok")


def test_a_close_delimited_and_a_gzip_body(raw_server) -> None:
    packed = gzip.compress(b"squeezed " * 100)
    url = raw_server(_answer(b"HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + packed))
    assert _get(url).text == "squeezed " * 100


def test_set_cookie_lists_reach_the_jar_and_the_joined_header(raw_server) -> None:
    url = raw_server(
        _answer(
            b"HTTP/1.1 204 No Content\r\nSet-Cookie: a=1; Path=/\r\nX-Other: 1\r\n"
            b"Set-Cookie: b=2; Path=/; HttpOnly; SameSite=Lax\r\n\r\n"
        )
    )
    b = ScriptedBrowser(timeout=5)
    try:
        page = b.get(url)
        assert page.status == 204 and page.headers["Set-Cookie"] == "a=1; Path=/, b=2; Path=/; HttpOnly; SameSite=Lax"
        assert {c.name: c.value for c in b.session.cookies} == {"a": "1", "b": "2"}
    finally:
        b.close()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", "closed after 9 of 100 body bytes"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_HEAD + 10), f"head over {MAX_HEAD} bytes"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "conflicting Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "the limit is"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "closed after 2 of 5"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 2000, "chunked-body line over"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "longer than its size"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", "corrupt gzip"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc", "unsupported Content-Encoding"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "closed inside the response head"),
        (b"", "closed the connection without an answer"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 11 + b"HTTP/1.1 200 OK\r\n\r\n", "more than 10 informational"),
    ],
)
def test_a_broken_answer_is_a_clear_browser_error(raw_server, raw: bytes, says: str) -> None:
    url = raw_server(_answer(raw))
    with pytest.raises(BrowserError, match=says):
        _get(url)


def test_a_server_that_never_answers_times_out(raw_server) -> None:
    done = threading.Event()

    def silent(conn: socket.socket, _i: int) -> None:
        _read_request(conn)
        done.wait(5)

    url = raw_server(silent)
    b = ScriptedBrowser(timeout=0.3)
    try:
        with pytest.raises(BrowserError, match="timed out"):
            b.get(url)
    finally:
        done.set()
        b.close()


def test_a_kept_alive_connection_closed_by_the_server_is_reopened_once(raw_server) -> None:
    def first_answers_then_closes(conn: socket.socket, i: int) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % i)
        # and the server closes the kept-alive connection right away

    url = raw_server(first_answers_then_closes)
    b = ScriptedBrowser(timeout=5)
    try:
        assert [b.get(url).text for _ in range(3)] == ["0", "1", "2"]
    finally:
        b.close()


def test_bytes_beyond_the_answer_are_never_read_as_the_next_one(raw_server) -> None:
    def smuggles(conn: socket.socket, i: int) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB")
        _read_request(conn)  # a second request on this connection would get the smuggled answer

    url = raw_server(smuggles)
    b = ScriptedBrowser(timeout=5)
    try:
        assert [b.get(url).text for _ in range(2)] == ["A", "A"]
    finally:
        b.close()


def test_encode_request_refuses_line_breaks_and_control_characters() -> None:
    wire = encode_request("POST", "/a?b=c", "h:1", {"X": "y", "Gone": None}, b"k=v")  # type: ignore[dict-item]
    assert wire == b"POST /a?b=c HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\nX: y\r\n\r\nk=v"
    with pytest.raises(TransportError, match="line break"):
        encode_request("GET", "/", "h", {"X": "y\r\nEvil: 1"}, None)
    with pytest.raises(TransportError, match="control characters"):
        encode_request("GET", "/a b", "h", {}, None)
