"""harness.core.http_server: the cheroot seam binds before it serves, keeps connections alive,
bounds its workers, refuses transport garbage with a reason, and closes every port on stop."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.core import tls
from harness.core.http_server import EmbeddedServer, Limits, TLSFiles


def _app(env: dict, sr):
    body = f"{env['REMOTE_PORT']} {len(env['wsgi.input'].read())}".encode()
    sr("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def server():
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(body_bytes=1000, threads=2)).start()
    yield srv
    srv.stop()


def test_the_port_is_known_before_serving_and_closed_after_stop() -> None:
    srv = EmbeddedServer("127.0.0.1", 0, _app).bind()
    port = srv.server_port
    assert port and srv.server_address == ("127.0.0.1", port)
    before = {t.ident for t in threading.enumerate()}
    srv.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read()
    srv.stop()
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == [], left  # workers, accept loop and helper threads all ended


def test_a_connection_is_kept_alive_across_requests(server: EmbeddedServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    ports = set()
    for _ in range(3):
        conn.request("POST", "/", body=b"x" * 10)
        r = conn.getresponse()
        assert r.status == 200 and not r.will_close
        ports.add(r.read().split()[0])
    conn.close()
    assert len(ports) == 1


def test_more_idle_connections_than_workers_are_all_served(server: EmbeddedServer) -> None:
    """Idle kept-alive connections wait in a selector, not in the (2) worker threads."""
    conns = [http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5) for _ in range(6)]
    for _ in range(2):
        for c in conns:
            c.request("GET", "/")
            assert c.getresponse().read()
    for c in conns:
        c.close()


def test_a_body_over_the_limit_is_refused_with_a_reason_before_the_app(server: EmbeddedServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    conn.request("POST", "/", body=b"x" * 2000)
    r = conn.getresponse()
    assert r.status == 413 and r.getheader("X-SAML-Reason") == "message-too-large"
    conn.close()


def test_pipelined_requests_are_all_answered(server: EmbeddedServer) -> None:
    """Two requests in one send: the second waits in the reader's buffer, not on the socket."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
        s.sendall(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    answers = [b"HTTP/1.1 " + x for x in data.split(b"HTTP/1.1 ")[1:]]
    assert len(answers) == 2 and all(a.startswith(b"HTTP/1.1 200") for a in answers)
    assert answers[1].endswith(b" 3")  # the second request's body, read whole


def test_a_chunked_body_is_read(server: EmbeddedServer) -> None:
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b" 7")


def test_an_app_that_raises_is_a_400_with_a_reason_not_a_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(env: dict, sr):
        raise RuntimeError("a bug")

    srv = EmbeddedServer("127.0.0.1", 0, broken).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=5)
        conn.request("GET", "/")
        r = conn.getresponse()
        assert r.status == 400 and r.getheader("X-SAML-Reason") == "bad-request"
        conn.close()
    finally:
        srv.stop()
    assert any("a bug" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records if rec.levelname == "ERROR")


def test_an_app_that_raises_halfway_is_a_whole_400_not_a_truncated_200(caplog: pytest.LogCaptureFixture) -> None:
    def halfway(env: dict, sr):
        sr("200 OK", [("Content-Length", "10")])
        yield b"abc"
        raise RuntimeError("a bug")

    srv = EmbeddedServer("127.0.0.1", 0, halfway, limits=Limits(threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 400 ") and b"X-SAML-Reason: bad-request" in data, data
        assert b"200 OK" not in data and b"abc" not in data
    finally:
        srv.stop()


def test_expect_100_continue_is_answered_before_the_body(server: EmbeddedServer) -> None:
    """The response buffer must not hold back cheroot's interim 100 Continue."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(1000).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(b"hello")
        assert s.recv(1000).startswith(b"HTTP/1.1 200 ")


def _read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize(
    "head",
    [
        b"GET /" + b"a" * 400 + b" HTTP/1.1\r\n\r\n",  # the request line
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n",  # a header
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n" + b"a" * 400,  # the body
    ],
)
def test_a_client_that_trickles_its_request_gets_a_408_at_the_deadline(head: bytes) -> None:
    """Never silent long enough for the timeout, yet cut off: the worker is not held forever.
    Bounded by bytes, not by a clock: the 408 comes long before the request is whole."""
    limits = Limits(request_timeout=30, request_deadline=0.5, threads=1)
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=limits).start()
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.settimeout(0.05)
            data = b""
            while sent < len(head) and not data:
                s.sendall(head[sent : sent + 1])
                sent += 1
                try:
                    data = s.recv(65536)
                except TimeoutError:
                    pass
            s.settimeout(30)
            data += _read_all(s) if data else b""
        assert data.startswith(b"HTTP/1.1 408 ") and b"X-SAML-Reason: bad-request" in data, (sent, data[:200])
        assert sent < len(head)
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:  # the worker is free
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert _read_all(s).startswith(b"HTTP/1.1 200 ")
    finally:
        srv.stop()


@pytest.mark.parametrize("line", [b"GARBAGE\r\n", b"GET /x HTTP/1.1 extra\r\n", b"GET /x\r\nHost: x\r\n"])
def test_a_malformed_request_line_gets_its_400_without_waiting_for_the_rest(line: bytes) -> None:
    """The client sends it and then waits: the 400 comes at once, not a 408 at the 30 s timeout
    (the client's own 20 s timeout only catches a hang)."""
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(request_timeout=30, threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=20) as s:
            s.sendall(line)
            data = s.recv(65536)
        assert data.startswith(b"HTTP/1.1 400 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
    finally:
        srv.stop()


@pytest.mark.parametrize("line", [b" GET /x HTTP/1.1\r\n", b"G@T /x HTTP/1.1\r\n"])
def test_a_request_line_cheroot_accepts_then_silence_holds_no_worker(line: bytes) -> None:
    """cheroot serves these lines and reads on: sent to the only worker early, the silent client
    held it for the 30 s timeout and the next client went unanswered (20 s only catches a hang)."""
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(request_timeout=30, threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=20) as silent:
            silent.sendall(line)
            with socket.create_connection(("127.0.0.1", srv.server_port), timeout=20) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        srv.stop()


def test_a_client_silent_mid_request_gets_a_408_with_a_reason() -> None:
    """The timeout is the kernel's (SO_RCVTIMEO) on plain sockets: still a 408 naming its reason."""
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(request_timeout=0.3, threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")  # 7 bytes short
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 408 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConn")  # the headers never end
            assert _read_all(s).startswith(b"HTTP/1.1 408 ")
    finally:
        srv.stop()


def test_a_client_that_never_reads_its_response_frees_the_worker() -> None:
    """The send timeout (SO_SNDTIMEO) ends a response nobody reads; the only worker serves the next client."""
    big = b"x" * (64 * 1024 * 1024)

    def huge(env: dict, sr):
        sr("200 OK", [("Content-Length", str(len(big)))])
        return [big]

    srv = EmbeddedServer("127.0.0.1", 0, huge, limits=Limits(request_timeout=0.3, threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as stuck:
            stuck.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
            with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as other:
                other.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert other.recv(100).startswith(b"HTTP/1.1 200 ")
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 3\r\nContent-Length: 33",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked",
        b"Content-Length: 3\r\n 3",
        b"Connection: Keep-Alive\r\nTransfer-Encoding: chunked",  # with HTTP/1.0 (below)
    ],
)
def test_ambiguous_framing_is_a_400_and_nothing_is_smuggled_to_the_app(head: bytes) -> None:
    seen = []

    def app(env: dict, sr):
        seen.append(env["PATH_INFO"])
        env["wsgi.input"].read()
        sr("200 OK", [("Content-Length", "0")])
        return [b""]

    srv = EmbeddedServer("127.0.0.1", 0, app, limits=Limits(request_timeout=1, threads=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
            version = b"1.0" if b"Keep-Alive" in head else b"1.1"
            body = b"3\r\nabc\r\n0\r\n\r\n"
            s.sendall(b"POST / HTTP/" + version + b"\r\nHost: x\r\n" + head + b"\r\n\r\n" + body + smuggled)
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 400 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
        assert data.count(b"HTTP/1.1 ") == 1 and seen == []
    finally:
        srv.stop()


_CHUNKED = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def _recording_server(seen: list, **limits) -> EmbeddedServer:
    def app(env: dict, sr):
        body = env["wsgi.input"].read()
        seen.append((env["PATH_INFO"], body))
        sr("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return EmbeddedServer("127.0.0.1", 0, app, limits=Limits(threads=1, **{"request_timeout": 5, **limits})).start()


@pytest.mark.parametrize("size", [b"-3", b"0x3", b"3_0", b" +3", b"zz", b"f" * 20, b"3" * 5000])
def test_a_malformed_chunk_size_is_a_400_before_the_app(size: bytes, caplog: pytest.LogCaptureFixture) -> None:
    seen: list = []
    srv = _recording_server(seen)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(_CHUNKED + size + b"\r\nabc\r\n0\r\n\r\n")
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 400 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
        assert seen == [] and not [r for r in caplog.records if r.levelname == "ERROR"]
    finally:
        srv.stop()


def test_a_chunked_body_over_the_limit_is_a_413_with_a_reason() -> None:
    seen: list = []
    srv = _recording_server(seen, body_bytes=1000)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(_CHUNKED + b"3e8\r\n" + b"a" * 1000 + b"\r\n")
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 413 ") and b"X-SAML-Reason: message-too-large" in data, data[:200]
        assert seen == []
    finally:
        srv.stop()


def test_chunked_requests_with_extensions_and_trailers_keep_their_boundaries() -> None:
    """Every pipelined request answered once, in order; the last CRLF of a chunked body is read
    (cheroot left it: the worker then waited the whole timeout on an idle connection)."""
    seen: list = []
    srv = _recording_server(seen)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(
                b"POST /1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
                b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
                b"POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                b"1\r\nq\r\n0\r\n\r\n"
            )
            data = _read_all(s)
        assert seen == [("/1", b"abcde"), ("/2", b"xyz"), ("/3", b"q")]
        assert data.count(b"HTTP/1.1 200 ") == 3 and data.endswith(b"q"), data
    finally:
        srv.stop()


def test_a_chunked_request_leaves_the_only_worker_free_for_the_next_connection() -> None:
    seen: list = []
    srv = _recording_server(seen, request_timeout=60)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as idle:
            idle.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
            assert idle.recv(1000).startswith(b"HTTP/1.1 200 ")
            with socket.create_connection(("127.0.0.1", srv.server_port), timeout=20) as other:
                other.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert _read_all(other).startswith(b"HTTP/1.1 200 ")  # not after idle's 60 s timeout
    finally:
        srv.stop()


def _send_in_pieces(port: int, data: bytes, piece: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), piece):
            s.sendall(data[i : i + piece])
        return _read_all(s)


@pytest.mark.parametrize("piece", [1 << 20, 97])  # whole (the block path) or in small segments (line by line)
def test_the_header_limit_is_exact_however_the_headers_arrive(piece: int) -> None:
    seen: list = []
    srv = _recording_server(seen, header_bytes=4096)
    try:
        head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
        at_limit = head + b"p" * (4096 - len(head) - 4) + b"\r\n\r\n"
        assert len(at_limit) == 4096
        assert _send_in_pieces(srv.server_port, at_limit, piece).startswith(b"HTTP/1.1 200 ")
        over = at_limit[:-4] + b"p\r\n\r\n"
        data = _send_in_pieces(srv.server_port, over, piece)
        assert data.startswith(b"HTTP/1.1 431 ") and b"X-SAML-Reason: message-too-large" in data, data[:200]
        assert len(seen) == 1
    finally:
        srv.stop()


def test_many_silent_connections_take_no_worker() -> None:
    seen: list = []
    srv = _recording_server(seen, request_timeout=60)
    silent = [socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) for _ in range(100)]
    try:
        data = _send_in_pieces(srv.server_port, b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1 << 20)
        assert data.startswith(b"HTTP/1.1 200 ") and seen == [("/x", b"")]
    finally:
        for s in silent:
            s.close()
        srv.stop()


def test_a_slow_app_call_holding_the_gate_does_not_stop_the_others() -> None:
    """The slow call waits for the fast one: it finishes only if the fast one got past the gate."""
    fast_done = threading.Event()

    def app(env: dict, sr):
        if env["PATH_INFO"] == "/slow":
            body = b"released" if fast_done.wait(20) else b"blocked"
        else:
            fast_done.set()
            body = b"fast"
        sr("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    srv = EmbeddedServer("127.0.0.1", 0, app, limits=Limits(request_timeout=30, threads=2)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as slow:
            slow.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            fast = _send_in_pieces(srv.server_port, b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 99)
            assert fast.endswith(b"fast")
            assert _read_all(slow).endswith(b"released")
    finally:
        srv.stop()


def _echo_environ_server(seen: list) -> EmbeddedServer:
    def app(env: dict, sr):
        seen.append({k: v for k, v in env.items() if k.startswith("HTTP_") or k.startswith("CONTENT_")})
        body = env["wsgi.input"].read()
        sr("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return EmbeddedServer("127.0.0.1", 0, app, limits=Limits(threads=1, request_timeout=5)).start()


@pytest.mark.parametrize(
    "headers, expected",
    [
        # alone: dropped, not mistaken for X-Requested-With
        (b"X_Requested_With: spoofed\r\n", {}),
        # beside the hyphenated header, before or after it: the hyphenated one is what the app sees
        (b"X-Requested-With: real\r\nX_Requested_With: spoofed\r\n", {"HTTP_X_REQUESTED_WITH": "real"}),
        (b"X_Requested_With: spoofed\r\nX-Requested-With: real\r\n", {"HTTP_X_REQUESTED_WITH": "real"}),
        (b"x_forwarded_for: 6.6.6.6\r\nX-Forwarded-For: 127.0.0.1\r\n", {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}),
    ],
)
def test_a_header_name_with_an_underscore_is_dropped_before_the_app(headers: bytes, expected: dict) -> None:
    """`X_Requested_With` and `X-Requested-With` are one CGI name (HTTP_X_REQUESTED_WITH): the
    underscore spelling is dropped (as nginx's `underscores_in_headers off`), the request served."""
    seen: list = []
    srv = _echo_environ_server(seen)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n")
            data = _read_all(s)
        assert data.startswith(b"HTTP/1.1 200 "), data[:200]
        assert len(seen) == 1
        got = {k: v for k, v in seen[0].items() if k not in ("HTTP_HOST", "HTTP_CONNECTION")}
        assert got == expected
    finally:
        srv.stop()


def test_an_underscore_content_length_neither_frames_nor_reaches_the_app() -> None:
    """`Content_Length` would become CONTENT_LENGTH in the environ while cheroot framed the body
    by the real Content-Length: dropped, the app sees the length that framed the body."""
    seen: list = []
    srv = _echo_environ_server(seen)
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.sendall(
                b"POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent_Length: 40\r\n\r\nabc"
                b"POST /2 HTTP/1.1\r\nHost: x\r\nContent_Length: 5\r\nConnection: close\r\n\r\n"
            )
            data = _read_all(s)
        assert data.count(b"HTTP/1.1 200 ") == 2, data
        assert seen[0].get("CONTENT_LENGTH") == "3" and "CONTENT_LENGTH" not in seen[1], seen
    finally:
        srv.stop()


def _thread_server(limits: Limits) -> EmbeddedServer:
    """Answers each request with the ident of the worker thread that served it."""

    def app(env: dict, sr):
        env["wsgi.input"].read()
        body = str(threading.get_ident()).encode()
        sr("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return EmbeddedServer("127.0.0.1", 0, app, limits=limits).start()


def _ask(conn: http.client.HTTPConnection) -> bytes:
    conn.request("GET", "/")
    return conn.getresponse().read()


def _wait_lingering(srv: EmbeddedServer, n: int) -> None:
    """Until `n` workers wait on their connections."""
    _wait_until(lambda: srv._server._lingering == n)


def test_the_worker_that_answered_serves_the_connections_next_request() -> None:
    """Limits.linger: the worker waits on its connection for the next request (a long linger
    here, so a busy machine cannot turn it into a hand-off to another worker)."""
    srv = _thread_server(Limits(threads=4, linger=30))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
        served_by = {_ask(conn) for _ in range(4)}
        conn.close()
        assert len(served_by) == 1
    finally:
        srv.stop()


def test_lingering_workers_never_hold_more_than_half_the_pool() -> None:
    """With 2 workers, one may linger on its connection (for 30 s here); every other connection
    is still answered by the other worker (a hang would end in the client's 10 s timeout)."""
    srv = _thread_server(Limits(threads=2, linger=30))
    try:
        lingering = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
        held = _ask(lingering)
        _wait_lingering(srv, 1)  # a loaded machine may not have reached the wait yet
        others = [http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10) for _ in range(3)]
        served_by = {_ask(c) for _ in range(3) for c in others}
        assert served_by and held not in served_by
        assert _ask(lingering) == held  # still waiting for it
        for c in [lingering, *others]:
            c.close()
    finally:
        srv.stop()


def test_a_client_closing_a_lingering_connection_frees_its_worker() -> None:
    """The end of the stream wakes the lingering worker: it closes the connection and is free
    to linger on the next one (with one lingering slot of two workers)."""
    srv = _thread_server(Limits(threads=2, linger=30))
    try:
        first = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
        _ask(first)
        _wait_lingering(srv, 1)
        first.close()
        _wait_lingering(srv, 0)  # the close woke it: the slot is free
        second = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
        served_by = {_ask(second) for _ in range(3)}
        second.close()
        assert len(served_by) == 1  # lingered on: the slot was freed by the close
    finally:
        srv.stop()


def test_stop_ends_a_lingering_worker() -> None:
    """A worker lingering (for 30 s here) on an open connection does not hold up stop() (cheroot
    shuts the socket of a connection still in a worker; the real linger is milliseconds): the
    pool is waited for, and no thread is left behind."""
    before = {t.ident for t in threading.enumerate()}
    srv = _thread_server(Limits(threads=2, linger=30))
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
    _ask(conn)
    stopper = threading.Thread(target=srv.stop)
    stopper.start()
    stopper.join(timeout=20)  # only catches a hang: a 30 s linger would still be waiting
    conn.close()
    assert not stopper.is_alive()
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == [], left


def _get(port: int, path: str = "/x", timeout: float = 10) -> bytes:
    """One request on a fresh connection (the timeout only catches a hang)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return _read_all(s)


def test_half_sent_requests_hold_no_worker() -> None:
    """slowloris: 20 clients (10 times the workers) send half a head, or a whole head and half a
    small body, some then trickle a byte at a time; a normal client is still answered at once
    (on cheroot's own, every worker waited for the rest, for up to a minute). Those requests,
    finished later, are served too, from the bytes gathered meanwhile."""
    seen: list = []

    def app(env: dict, sr):
        body = env["wsgi.input"].read()
        seen.append((env["PATH_INFO"], body))
        sr("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    srv = EmbeddedServer("127.0.0.1", 0, app, limits=Limits(threads=2, request_timeout=60)).start()
    head = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
    request = head + b"abc"
    slow = [socket.create_connection(("127.0.0.1", srv.server_port), timeout=10) for _ in range(20)]
    sent = [30] * 10 + [len(head) + 1] * 10  # half a head, or a head and a third of its body
    try:
        for s, n in zip(slow, sent, strict=True):
            s.sendall(request[:n])
        for _ in range(2):
            for i in (0, 1, 2, 10, 11):  # the tricklers
                s = slow[i]
                s.sendall(request[sent[i] : sent[i] + 1])
                sent[i] += 1
            assert _get(srv.server_port).startswith(b"HTTP/1.1 200 ")
        for s, n in zip(slow, sent, strict=True):
            s.sendall(request[n:])
        for s in slow:
            data = _read_all(s)
            assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"abc"), data
        assert seen.count(("/slow", b"abc")) == 20 and seen.count(("/x", b"")) == 2
    finally:
        for s in slow:
            s.close()
        srv.stop()


def test_a_request_sent_a_byte_at_a_time_is_served(server: EmbeddedServer) -> None:
    request = b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    data = _send_in_pieces(server.server_port, request, 1)
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b" 5"), data


def test_a_stalled_head_gets_its_408_while_others_are_served() -> None:
    """The head that stalls waits in the selector, not in the only worker: the other client is
    answered before the stalled one's 408 (which still names its reason)."""
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(threads=1, request_timeout=1, request_deadline=2)).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as stalled:
            stalled.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: ")
            assert _get(srv.server_port).startswith(b"HTTP/1.1 200 ")
            data = _read_all(stalled)
        assert data.startswith(b"HTTP/1.1 408 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
    finally:
        srv.stop()


def _read_response(s: socket.socket) -> bytes:
    """One response with a Content-Length, leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_pipelined_request_whose_head_arrives_later_is_served(server: EmbeddedServer) -> None:
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as s:
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-")
        assert _read_response(s).startswith(b"HTTP/1.1 200 ")
        s.sendall(b"Length: 2\r\nConnection: close\r\n\r\nok")
        data = _read_all(s)
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b" 2"), data


def test_a_lingering_worker_leaves_a_half_sent_head_to_the_selector() -> None:
    """The worker lingering on a connection (30 s here) that gets half a head does not wait for
    the rest: with 2 workers, one lingering on another client, a third client is still served."""
    srv = _thread_server(Limits(threads=2, linger=30, request_timeout=60))
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=10) as half:
            half.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(half).startswith(b"HTTP/1.1 200 ")
            half.sendall(b"GET /b HTTP/1.1\r\nHo")  # its worker lingers on it, and wakes
            lingering = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=10)
            assert _ask(lingering)  # a worker then lingers on this one
            assert _get(srv.server_port).startswith(b"HTTP/1.1 200 ")
            lingering.close()
            half.sendall(b"st: x\r\nConnection: close\r\n\r\n")
            assert _read_all(half).startswith(b"HTTP/1.1 200 ")
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[TLSFiles, ssl.SSLContext]:
    material = tls.ensure(tmp_path_factory.mktemp("tls"))
    client = ssl.create_default_context(cafile=str(material.ca_cert))
    return TLSFiles(str(material.cert), str(material.key)), client


def _tls_get(port: int, client: ssl.SSLContext) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return _read_all(s)


def test_half_sent_handshakes_and_heads_over_tls_hold_no_worker(tls_files) -> None:
    """The same over TLS: half a ClientHello, or a handshake and then half a head (or half a
    small body), take no worker; their requests, finished later, are served."""
    files, client = tls_files
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(threads=2, request_timeout=60), tls=files).start()
    port = srv.server_port
    hello = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(5)]
    heads = [
        client.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="127.0.0.1")
        for _ in range(6)
    ]
    request = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    try:
        for s in hello:
            s.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello
        for i, s in enumerate(heads):
            s.sendall(request[:20] if i % 2 else request[:-2])
        assert _tls_get(port, client).startswith(b"HTTP/1.1 200 ")
        for i, s in enumerate(heads):
            s.sendall(request[20:] if i % 2 else request[-2:])
            data = _read_all(s)
            assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b" 3"), data
    finally:
        for s in hello + heads:
            s.close()
        srv.stop()


def test_a_stalled_head_over_tls_gets_its_408_from_the_selector(tls_files) -> None:
    files, client = tls_files
    limits = Limits(threads=1, request_timeout=1, request_deadline=2)
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=limits, tls=files).start()
    try:
        raw = socket.create_connection(("127.0.0.1", srv.server_port), timeout=30)
        with client.wrap_socket(raw, server_hostname="127.0.0.1") as stalled:
            stalled.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: ")
            assert _tls_get(srv.server_port, client).startswith(b"HTTP/1.1 200 ")
            data = _read_all(stalled)
        assert data.startswith(b"HTTP/1.1 408 ") and b"X-SAML-Reason: bad-request" in data, data[:200]
    finally:
        srv.stop()


def _wait_until(condition: Callable[[], bool], polls: int = 1000) -> None:
    """Polls `condition` every 10 ms (only a hang ends in the assertion; no clock is read)."""
    for _ in range(polls):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the condition never held")


def test_a_pipelining_client_goes_behind_a_waiting_connection() -> None:
    """Two clients each pipeline a long run of requests behind one held by the app, on both of
    two workers; a third connection waits in the queue meanwhile. Pipelined requests take their
    turn behind it (as through the selector before lingering): they never keep a worker while
    other work waits, else a few clients sending request after request starve every other."""
    release, order = threading.Event(), []

    def app(env: dict, sr):
        if env["PATH_INFO"] == "/hold":
            release.wait(10)
        order.append(env["PATH_INFO"])
        sr("200 OK", [("Content-Length", "0")])
        return [b""]

    srv = EmbeddedServer("127.0.0.1", 0, app, limits=Limits(threads=2)).start()
    clients = []
    try:
        for name in (b"a", b"b"):
            s = socket.create_connection(("127.0.0.1", srv.server_port), timeout=10)
            run = b"".join(b"GET /%s%d HTTP/1.1\r\nHost: x\r\n\r\n" % (name, i) for i in range(20))
            s.sendall(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n" + run)
            clients.append(s)
        _wait_until(lambda: srv._server.requests.idle == 0)  # both workers held by /hold
        waiting = socket.create_connection(("127.0.0.1", srv.server_port), timeout=10)
        clients.append(waiting)
        waiting.sendall(b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _wait_until(lambda: srv._server.requests.qsize == 1)  # queued for a worker
        release.set()
        assert _read_all(waiting).startswith(b"HTTP/1.1 200 ")
        pipelined_first = [p for p in order[: order.index("/c")] if p != "/hold"]
        assert len(pipelined_first) < 20, order  # not behind a whole run
    finally:
        release.set()
        for s in clients:
            s.close()
        srv.stop()


def test_a_tls_client_silent_after_its_handshake_takes_no_worker(tmp_path: Path) -> None:
    """A browser's preconnect over https shakes hands, then says nothing: the connection then
    waits in the selector like any idle one, so the only worker still answers another client
    (a held worker would leave it waiting the 60 s silence timeout; its 10 s timeout catches that)."""
    material = tls.ensure(tmp_path)
    srv = EmbeddedServer(
        "127.0.0.1",
        0,
        _app,
        limits=Limits(threads=1, request_timeout=60),
        tls=TLSFiles(str(material.cert), str(material.key)),
    ).start()
    ctx = ssl.create_default_context(cafile=str(material.ca_cert))
    silent = []
    try:
        for _ in range(2):  # the handshake done, nothing more
            silent.append(
                ctx.wrap_socket(
                    socket.create_connection(("127.0.0.1", srv.server_port), timeout=10), server_hostname="127.0.0.1"
                )
            )
        conn = http.client.HTTPSConnection("127.0.0.1", srv.server_port, timeout=10, context=ctx)
        for _ in range(2):
            conn.request("GET", "/")
            answer = conn.getresponse()
            assert answer.status == 200 and answer.read()
        conn.close()
        silent[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # speaks at last
        assert silent[0].recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        for s in silent:
            s.close()
        srv.stop()


def _client_hello(ctx: ssl.SSLContext) -> bytes:
    """The first flight of a TLS client for `ctx`, as bytes to send by hand."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


def test_a_tls_client_that_trickles_its_handshake_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    """Limits.request_deadline bounds the handshake too: a ClientHello trickled a byte at a time
    (never silent for the timeout) held the worker for as long as it lasted. Bounded by bytes:
    the connection is closed long before the ClientHello is whole, and the only worker is free."""
    material = tls.ensure(tmp_path)
    files = TLSFiles(str(material.cert), str(material.key))
    limits = Limits(request_timeout=30, request_deadline=0.5, threads=1)
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=limits, tls=files).start()
    ctx = ssl.create_default_context(cafile=str(material.ca_cert))
    hello, sent, closed = _client_hello(ctx), 0, False
    try:
        with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
            s.settimeout(0.05)
            while sent < len(hello) and not closed:
                try:
                    s.sendall(hello[sent : sent + 1])
                    sent += 1
                    closed = s.recv(65536) == b""
                except TimeoutError:
                    pass
                except OSError:  # reset: closed with our bytes unread
                    closed = True
        assert closed and sent < len(hello), (sent, len(hello))
        conn = http.client.HTTPSConnection("127.0.0.1", srv.server_port, timeout=10, context=ctx)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        srv.stop()


def _shaking(srv: EmbeddedServer) -> bool:
    """Whether a connection waits in the selector in the middle of its TLS handshake."""
    waiting = [conn for _, conn in list(srv._server._connections._selector.connections)]
    return any(getattr(c, "head_since", None) and not getattr(c, "handshaken", True) for c in waiting)


def test_stop_ends_a_tls_handshake_under_way(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A client that sent part of its ClientHello waits in the selector (the only worker stays
    free): stop() still ends it, no thread is left behind, and nothing is logged as an error
    of the server."""
    material = tls.ensure(tmp_path)
    before = {t.ident for t in threading.enumerate()}
    files = TLSFiles(str(material.cert), str(material.key))
    srv = EmbeddedServer("127.0.0.1", 0, _app, limits=Limits(threads=1), tls=files).start()
    with socket.create_connection(("127.0.0.1", srv.server_port), timeout=30) as s:
        s.sendall(_client_hello(ssl.create_default_context(cafile=str(material.ca_cert)))[:10])
        _wait_until(lambda: _shaking(srv))
        assert srv._server.requests.idle == 1
        stopper = threading.Thread(target=srv.stop)
        stopper.start()
        stopper.join(timeout=20)  # only catches a hang
    assert not stopper.is_alive()
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == [], left
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
