"""A lean HTTP/1.1 client connection: the scripted browser's requests to loopback hosts.

http.client parses every response head through email.parser and builds a request out of
many small `putheader` calls: about a third of the browser's CPU on a loopback login, paid
in the same process as the servers in the latency benchmark. This sends a request already
encoded in one `sendall` and reads the answer with bytes operations: the status line and
headers by splitting, the body by Content-Length, chunked or close-delimited framing. Every
read is bounded (head, header count, body, chunk-size line) and a server that closes early
or sends garbage gets a `TransportError` naming what was wrong, never a hang or a partial
page. What a response says is only ever data here.
"""

from __future__ import annotations

import socket
import ssl
import zlib
from dataclasses import dataclass

from harness.core.chunked import CHUNK_LINE_MAX, ChunkSizeError, chunk_size
from samlkit.codec import decompress_bounded

MAX_HEAD = 64 * 1024  # status line and headers, as http.client's line limit
MAX_HEADERS = 100
MAX_BODY = 64 * 1024 * 1024
_READ = 256 * 1024
_NO_BODY = frozenset({204, 304})
_MAX_INFORMATIONAL = 10


class TransportError(ValueError):
    pass


class _Stale(Exception):
    """A kept-alive connection the server had closed: nothing of an answer came back."""


@dataclass
class RawReply:
    status: int
    headers: list[tuple[str, str]]  # as sent, in order, names as the server spelled them
    fields: dict[str, list[str]]  # the same values by lower-cased name
    body: bytes
    keep_alive: bool


def parse_head(head: bytes) -> tuple[int, bool, list[tuple[str, str]]]:
    """(status, HTTP/1.1?, headers) of a response head without its final blank line.

    Folded (obs-fold) lines continue the previous header's value, joined by one space."""
    lines = head.split(b"\n")
    status_line = lines[0].rstrip(b"\r")
    parts = status_line.split(None, 2)
    if (
        len(parts) < 2
        or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0")
        or len(parts[1]) != 3
        or not parts[1].isdigit()
        or parts[1][0] == 48  # b"0"
    ):
        raise TransportError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise TransportError(f"more than {MAX_HEADERS} response headers")
    headers: list[tuple[str, str]] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            if not headers:
                raise TransportError("a folded header line before any header")
            last, so_far = headers[-1]
            headers[-1] = (last, f"{so_far} {line.strip().decode('latin-1')}".strip())
            continue
        raw_name, sep, raw_value = line.partition(b":")
        raw_name = raw_name.strip()
        if not sep or not raw_name or b" " in raw_name or b"\t" in raw_name:
            raise TransportError(f"a malformed response header line: {line[:80]!r}")
        headers.append((raw_name.decode("latin-1"), raw_value.strip().decode("latin-1")))
    return int(parts[1]), parts[0] == b"HTTP/1.1", headers


def index_headers(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Header values by lower-cased name, in order (each name lower-cased once)."""
    fields: dict[str, list[str]] = {}
    for name, value in headers:
        fields.setdefault(name.lower(), []).append(value)
    return fields


def _tokens(values: list[str]) -> list[str]:
    return [t.strip().lower() for v in values for t in v.split(",") if t.strip()]


def _content_length(values: list[str]) -> int:
    lengths = {v.strip() for v in ",".join(values).split(",")}
    if len(lengths) != 1:
        raise TransportError(f"conflicting Content-Length headers: {sorted(lengths)[:3]}")
    text = lengths.pop()
    if not text.isdigit() or not text.isascii():
        raise TransportError(f"a bad Content-Length: {text[:40]!r}")
    n = int(text)
    if n > MAX_BODY:
        raise TransportError(f"a response body of {n} bytes (the limit is {MAX_BODY})")
    return n


def _decode(body: bytes, coding: str) -> bytes:
    """Undo gzip/deflate (the session asks for them), bounded like any body."""
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise TransportError(f"an unsupported Content-Encoding: {coding[:40]!r}")
    wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
    if coding == "deflate" and body[:1] and body[0] & 0x0F != 8:
        wbits = -zlib.MAX_WBITS  # raw deflate, as some servers send it
    try:
        out = decompress_bounded(body, wbits, MAX_BODY)
    except zlib.error as err:
        raise TransportError(f"a corrupt {coding} body: {err}") from None
    if out is None:
        raise TransportError(f"a {coding} body inflating past {MAX_BODY} bytes")
    return out


_LITERALS = {"127.0.0.1": socket.AF_INET, "::1": socket.AF_INET6}


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """A connected socket; a loopback address literal is not looked up (getaddrinfo)."""
    family = _LITERALS.get(host)
    if family is None:
        return socket.create_connection((host, port), timeout)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class Connection:
    """One kept-alive connection to (scheme, host, port), reopened when the server closed it."""

    def __init__(self, scheme: str, host: str, port: int, timeout: float, context: ssl.SSLContext | None):
        self.scheme, self.host, self.port = scheme, host, port
        self.timeout = timeout
        self.context = context
        self._sock: socket.socket | None = None
        self._buf = bytearray()

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buf = bytearray()

    def _open(self) -> socket.socket:
        sock = _connect(self.host, self.port, self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.scheme == "https":
                assert self.context is not None
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        return sock

    def exchange(self, request: bytes, method: str) -> RawReply:
        """Send one encoded request and read its answer; a stale kept-alive connection is
        reopened and the request sent once more (as browsers do)."""
        reused = self._sock is not None
        try:
            return self._exchange(request, method)
        except (_Stale, BrokenPipeError, ConnectionResetError) as err:
            self.close()
            if not reused:
                if isinstance(err, _Stale):
                    raise TransportError("the server closed the connection without an answer") from None
                raise
        try:
            return self._exchange(request, method)
        except _Stale:
            self.close()
            raise TransportError("the server closed the connection without an answer") from None
        except BaseException:
            self.close()
            raise

    def _exchange(self, request: bytes, method: str) -> RawReply:
        sock = self._sock or self._open()
        sock.sendall(request)
        try:
            reply = self._read_reply(sock, method)
        except BaseException:
            self.close()
            raise
        if not reply.keep_alive:
            self.close()
        return reply

    def _recv(self, sock: socket.socket) -> bool:
        """Read what is there into the buffer; False at end of stream."""
        chunk = sock.recv(_READ)
        if not chunk:
            return False
        self._buf += chunk
        return True

    def _read_reply(self, sock: socket.socket, method: str) -> RawReply:
        for informational in range(_MAX_INFORMATIONAL + 1):
            status, http11, headers = self._read_head(sock, informational == 0)
            if status == 101:
                raise TransportError("the server switched protocols (101), which a browser page cannot")
            if status >= 200:
                break  # 1xx informational answers come before the real one
        else:
            raise TransportError(f"more than {_MAX_INFORMATIONAL} informational (1xx) answers")
        fields = index_headers(headers)
        conn = _tokens(fields.get("connection", []))
        keep = ("close" not in conn) if http11 else ("keep-alive" in conn)
        if method == "HEAD" or status in _NO_BODY:
            body = b""
        elif te := _tokens(fields.get("transfer-encoding", [])):
            if te[-1] != "chunked":
                body, keep = self._read_to_close(sock), False
            else:
                body = self._read_chunked(sock)
        elif cl := fields.get("content-length"):
            body = self._read_exactly(sock, _content_length(cl))
        else:
            body, keep = self._read_to_close(sock), False
        if self._buf:
            keep = False  # bytes beyond the answer: never read them as the next one
        coding = ",".join(fields.get("content-encoding", [])).strip().lower()
        return RawReply(status, headers, fields, _decode(body, coding), keep)

    def _read_head(self, sock: socket.socket, first: bool) -> tuple[int, bool, list[tuple[str, str]]]:
        buf = self._buf
        start = 0
        while True:
            end = buf.find(b"\r\n\r\n", max(0, start - 3))
            size = 4
            bare = buf.find(b"\n\n", max(0, start - 1))
            if bare != -1 and (end == -1 or bare < end):
                end, size = bare, 2
            if end != -1:
                break
            if len(buf) > MAX_HEAD:
                raise TransportError(f"a response head over {MAX_HEAD} bytes")
            start = len(buf)
            try:
                more = self._recv(sock)
            except ConnectionResetError:
                if first and not buf:
                    raise _Stale() from None
                raise
            if not more:
                if first and not buf:
                    raise _Stale()
                raise TransportError(f"the connection closed inside the response head ({len(buf)} bytes)")
            buf = self._buf
        if end > MAX_HEAD:
            raise TransportError(f"a response head over {MAX_HEAD} bytes")
        head = bytes(buf[:end])
        del buf[: end + size]
        return parse_head(head)

    def _read_exactly(self, sock: socket.socket, n: int) -> bytes:
        buf = self._buf
        if len(buf) >= n:
            out = bytes(buf[:n])
            del buf[:n]
            return out
        out_buf = bytearray(n)
        have = len(buf)
        out_buf[:have] = buf
        buf.clear()
        view = memoryview(out_buf)
        while have < n:
            got = sock.recv_into(view[have:], min(n - have, _READ))
            if not got:
                raise TransportError(f"the connection closed after {have} of {n} body bytes")
            have += got
        return bytes(out_buf)

    def _read_line(self, sock: socket.socket, limit: int) -> bytes:
        while (i := self._buf.find(b"\n")) == -1:
            if len(self._buf) > limit:
                raise TransportError(f"a chunked-body line over {limit} bytes")
            if not self._recv(sock):
                raise TransportError("the connection closed inside a chunked body")
        if i > limit:
            raise TransportError(f"a chunked-body line over {limit} bytes")
        line = bytes(self._buf[:i])
        del self._buf[: i + 1]
        return line[:-1] if line.endswith(b"\r") else line  # one CR: "3\r\r\n" is no size line

    def _read_chunked(self, sock: socket.socket) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self._read_line(sock, CHUNK_LINE_MAX + 1)  # room for its CR
            try:
                size = chunk_size(line)  # the servers' rules too (harness.core.chunked)
            except ChunkSizeError as err:
                raise TransportError(str(err)) from None
            if total + size > MAX_BODY:
                raise TransportError(f"a chunked response body over {MAX_BODY} bytes")
            if size == 0:
                break
            parts.append(self._read_exactly(sock, size))
            total += size
            if self._read_line(sock, 2):
                raise TransportError("a chunk longer than its size said")
        for _ in range(MAX_HEADERS + 1):  # trailers, ignored, up to the blank line
            if not self._read_line(sock, MAX_HEAD):
                return b"".join(parts)
        raise TransportError(f"more than {MAX_HEADERS} trailer lines")

    def _read_to_close(self, sock: socket.socket) -> bytes:
        while self._recv(sock):
            if len(self._buf) > MAX_BODY:
                raise TransportError(f"a response body over {MAX_BODY} bytes")
        out = bytes(self._buf)
        self._buf.clear()
        return out
