"""harness.core.http_glue: the faster per-request steps give what cheroot's own give, refuse
what they refuse, and keep the header size limit."""

from __future__ import annotations

import io
import socket
import ssl
import types

import pytest
from cheroot import errors, server, wsgi

from harness.core.http_glue import Gateway, HeaderBlockReader, Reader, Writer, http_date

BLOCKS = [
    b"\r\n",
    b"Host: x\r\n\r\n",
    b"Host: x\r\ncontent-TYPE:  text/plain \r\nContent-Length: 3\r\n\r\n",
    b"Accept: a\r\nAccept: b\r\nX-One: 1\r\nX-One: 2\r\n\r\n",  # comma-folded / replaced
    b"Host: x\r\nBad: a\nEvil: b\r\n\r\n",  # a bare LF
    b"Host: x\r\nno colon here\r\n\r\n",
    b"Host: x\r\nX: \xff\xfe\r\n\r\n",
]


def _read(reader_cls, data: bytes, limit: int = 0) -> dict | str:
    a, b = socket.socketpair()
    try:
        a.sendall(data + b"BODY")
        a.shutdown(socket.SHUT_WR)
        r = Reader(b)
        r._fill()
        while r._fill():  # everything in the buffer: the block path
            pass
        try:
            return reader_cls()(server.SizeCheckWrapper(r, limit), {})
        except ValueError as err:
            return f"ValueError {err}"
        except errors.MaxSizeExceeded:
            return "MaxSizeExceeded"
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("block", BLOCKS)
def test_headers_read_as_cheroot_reads_them(block: bytes) -> None:
    assert _read(HeaderBlockReader, block) == _read(server.HeaderReader, block)


# What cheroot accepts and another parser could frame differently (RFC 9112 smuggling vectors).
AMBIGUOUS = [
    b"X-Long: a\r\n  b\r\n\r\n",  # an obsolete folded line
    b"Content-Length: 1\r\n 0\r\n\r\n",  # cheroot replaced the value by the folded "0"
    b"Content-Length: 3\r\nContent-Length: 5\r\n\r\n",  # cheroot took the last
    b"Content-Length: +3\r\n\r\n",
    b"Content-Length: -1\r\n\r\n",
    b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"Transfer-Encoding : chunked\r\n\r\n",  # space before the colon
    b"Ho\x00st: x\r\n\r\n",
    b"\xff\xfe: x\r\n\r\n",
    b"Host: a\x00b\r\n\r\n",
    b"Host: a\rX-Evil: b\r\n\r\n",  # a CR without LF
]


@pytest.mark.parametrize("block", AMBIGUOUS)
def test_ambiguous_framing_is_refused_whole_or_line_by_line(block: bytes) -> None:
    assert _read(HeaderBlockReader, block).startswith("ValueError")
    with pytest.raises(ValueError):
        HeaderBlockReader()(server.SizeCheckWrapper(io.BytesIO(block), 0), {})


def test_a_repeated_equal_content_length_is_one() -> None:
    assert _read(HeaderBlockReader, b"Content-Length: 3\r\nContent-Length: 3\r\n\r\n") == {b"Content-Length": b"3"}


def test_the_header_size_limit_holds() -> None:
    block = b"Host: x\r\nCookie: " + b"a" * 5000 + b"\r\n\r\n"
    assert _read(HeaderBlockReader, block, limit=4096) == "MaxSizeExceeded"
    assert _read(HeaderBlockReader, block, limit=8192) == _read(server.HeaderReader, block, limit=8192)


def test_a_partial_block_is_read_line_by_line_as_it_arrives() -> None:
    a, b = socket.socketpair()
    try:
        a.sendall(b"Host: x\r\nAccept: a")
        r = Reader(b)
        r._fill()
        a.sendall(b"\r\n\r\n")
        assert HeaderBlockReader()(server.SizeCheckWrapper(r, 0), {}) == {b"Host": b"x", b"Accept": b"a"}
    finally:
        a.close()
        b.close()


def test_the_environ_is_cheroots() -> None:
    srv = types.SimpleNamespace(protocol="HTTP/1.1", server_name="n", software="s", bind_addr=("127.0.0.1", 8080))
    conn = types.SimpleNamespace(remote_addr="127.0.0.1", remote_port=5555, ssl_env={"HTTPS": "on"})
    req = types.SimpleNamespace(
        server=srv,
        conn=conn,
        path=b"/a%20b",
        qs=b"x=1",
        method=b"POST",
        uri=b"/a%20b?x=1",
        request_protocol=b"HTTP/1.1",
        rfile=object(),
        chunked_read=False,
        scheme=b"https",
        inheaders={b"Host": b"h", b"Content-Type": b"t", b"Content-Length": b"3", b"X-Harness-Flow": b"\xe9"},
    )
    ours, theirs = Gateway.__new__(Gateway), wsgi.Gateway_10.__new__(wsgi.Gateway_10)
    ours.req = theirs.req = req
    assert ours.get_environ() == theirs.get_environ()


def test_the_date_is_an_http_date() -> None:
    assert http_date().endswith(b" GMT") and http_date()[3:5] == b", "


def test_the_name_caches_stay_bounded_under_many_distinct_names() -> None:
    block = b"".join(b"X-N%d: v\r\n" % i for i in range(3000)) + b"\r\n"
    headers = _read(HeaderBlockReader, block, limit=1 << 20)
    assert isinstance(headers, dict) and len(headers) == 3000
    assert len(HeaderBlockReader._names) <= 1024


@pytest.mark.parametrize("whole", [True, False])
def test_a_name_with_an_underscore_is_dropped_whole_or_line_by_line(whole: bool) -> None:
    block = b"X-Real-Ip: 1\r\nX_Real_IP: 2\r\nContent_Length: 9\r\nhost: x\r\n\r\n"
    rfile = server.SizeCheckWrapper(io.BytesIO(block), 0)
    got = _read(HeaderBlockReader, block) if whole else HeaderBlockReader()(rfile, {})
    assert got == {b"X-Real-Ip": b"1", b"Host": b"x"}


def test_a_name_with_an_underscore_and_a_bad_byte_is_still_refused() -> None:
    assert _read(HeaderBlockReader, b"X_Y\x00: 1\r\n\r\n").startswith("ValueError")


def test_a_tls_client_gone_is_a_broken_pipe_for_cheroot() -> None:
    """cheroot keeps quiet about a broken pipe (a client gone) but logged SSLEOFError as an error."""

    class Gone:
        def sendall(self, data: bytes) -> None:
            raise ssl.SSLEOFError(8, "EOF occurred in violation of protocol")

    with pytest.raises(BrokenPipeError) as err:
        Writer(Gone()).write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert err.value.errno in errors.socket_errors_to_ignore
