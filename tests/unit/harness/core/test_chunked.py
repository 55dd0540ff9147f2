"""harness.core.chunked: one reading of a chunk-size line, and the server (http_glue.read_chunked)
and the browser (browser_wire) both frame a chunked body by it, refusing and accepting alike."""

from __future__ import annotations

import socket

import pytest
from cheroot.errors import MaxSizeExceeded
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.core.browser_wire import Connection, TransportError
from harness.core.chunked import CHUNK_LINE_MAX, ChunkSizeError, chunk_size
from harness.core.http_glue import Reader, read_chunked

ACCEPTED = [
    b"3",
    b"03",
    b"0000000000000003",  # 16 digits
    b"3;ext=1",
    b"3;a=1;b",
    b'3;name="quoted ; value"',
    b"3 ;ext",  # BWS before the extension (RFC 9112 7.1.1)
    b"3\t",
    b"3;\xe9",  # obs-text in an extension, ignored
]
REFUSED = [
    b"",
    b"-3",
    b"+3",
    b"0x3",
    b"3_0",
    b" 3",  # nothing before the size
    b"\t3",
    b"zz",
    b"3 3",
    b"3" + b"0" * 16,  # 17 digits
    b"\xef\xbc\x93",  # a fullwidth 3
    b"3\x0b",
    b"3\x0c",
    b"3\x00",
    b"3;a\x00b",
    b"3;a\rb",  # a bare CR: another parser's line end
    b"3;a\x7f",
    b"3;" + b"x" * 2000,  # over the line bound
]


def _frame(line: bytes, data: bytes = b"abc") -> bytes:
    return line + b"\r\n" + data + b"\r\n0\r\n\r\n"


def _server(framed: bytes) -> bytes | None:
    a, b = socket.socketpair()
    try:
        a.sendall(framed)
        a.shutdown(socket.SHUT_WR)
        try:
            return read_chunked(Reader(b), 1 << 20)
        except (ValueError, MaxSizeExceeded):  # a size over the limit: the server's 413
            return None
    finally:
        a.close()
        b.close()


def _browser(framed: bytes) -> bytes | None:
    a, b = socket.socketpair()
    try:
        a.sendall(framed)
        a.shutdown(socket.SHUT_WR)
        try:
            return Connection("http", "127.0.0.1", 0, 5, None)._read_chunked(b)
        except TransportError:
            return None
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("line", ACCEPTED)
def test_both_sides_accept_a_plain_hex_size(line: bytes) -> None:
    assert _server(_frame(line)) == _browser(_frame(line)) == b"abc"


@pytest.mark.parametrize("line", REFUSED)
def test_both_sides_refuse_what_is_not_a_plain_hex_size(line: bytes) -> None:
    assert _server(_frame(line)) is None and _browser(_frame(line)) is None


_NO_LF = st.binary(max_size=12).filter(lambda b: b"\n" not in b)  # a line end is each side's own business


@settings(max_examples=300, deadline=None)
@given(_NO_LF, st.text("0123456789abcdefABCDEF", min_size=1, max_size=3), _NO_LF)
def test_the_server_and_the_browser_frame_any_size_line_alike(before: bytes, digits: str, after: bytes) -> None:
    framed = _frame(before + digits.encode() + after, b"x" * int(digits, 16))
    assert _server(framed) == _browser(framed)
    if not before and not after:
        assert _server(framed) == b"x" * int(digits, 16)


def test_the_line_bound_is_the_same_on_both_sides() -> None:
    longest = b"3;" + b"x" * (CHUNK_LINE_MAX - 2)
    assert _server(_frame(longest)) == _browser(_frame(longest)) == b"abc"
    assert _server(_frame(longest + b"x")) is None and _browser(_frame(longest + b"x")) is None


@pytest.mark.parametrize(("line", "size"), [(b"0", 0), (b"fF", 255), (b"ffffffffffffffff;x", 2**64 - 1)])
def test_chunk_size_reads_the_hex_size(line: bytes, size: int) -> None:
    assert chunk_size(line) == size


@pytest.mark.parametrize("line", REFUSED)
def test_chunk_size_refuses_with_a_chunk_size_error(line: bytes) -> None:
    with pytest.raises(ChunkSizeError):
        chunk_size(line)
