"""cheroot's per-request steps, done with fewer Python steps: on loopback they were a third of
the server's time per login. Same behaviour, same limits, same refusals as cheroot's own."""

from __future__ import annotations

import errno
import re
import select
import socket
import ssl
import struct
import time
from email.utils import formatdate

from cheroot import errors, server, wsgi

from harness.core.chunked import CHUNK_LINE_MAX, ChunkSizeError, chunk_size
from sp.contract import REASON_HEADER

CRLF = b"\r\n"
_TRAILER_LINE = 4096
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 5.1: a header name


def _refused_request_line(line: bytes) -> bool:
    """Whether cheroot's read_request_line refuses `line` (400 or 505) without reading more: its
    own first checks, step for step. A line it accepts (" GET", "G@T", "HTTP/01.1") must not go
    to a worker early: cheroot would go on to read the head there, holding a worker a whole
    timeout for a client that sends nothing more (a slowloris the selector exists to absorb)."""
    try:
        _method, _uri, protocol = line.strip().split(b" ", 2)
        version = protocol[5:].split(b".", 1)
        return not protocol.startswith(b"HTTP/") or len(version) != 2 or tuple(map(int, version)) > (1, 1)
    except ValueError:
        return True


class Reader:
    """cheroot's socket reader (read, readline, has_data, bytes_read), with `readline` by
    `bytearray.find`: cheroot's own is `_pyio`'s, a Python loop per line, ~0.3 ms of a login."""

    def __init__(self, sock: socket.socket, bufsize: int = 65536) -> None:
        self._sock, self._bufsize = sock, bufsize
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._buf = bytearray()
        self.bytes_read = 0
        self.closed = False
        self.deadline: float | None = None  # monotonic time by which this request must have arrived

    def _fill(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeoutError("timed out")  # a trickling client: cheroot's 408, as for a silent one
        try:
            data = self._sock.recv(self._bufsize)
        except BlockingIOError:  # the kernel's receive timeout (kernel_timeouts): cheroot's 408
            raise TimeoutError("timed out") from None
        self._buf += data
        return bool(data)

    def fill_nowait(self) -> int:
        """One read of what has arrived, never waiting (the selector thread's): the number of bytes
        read, 0 at the end of the stream (or a reset), -1 when nothing has arrived."""
        try:
            if self._tls:
                data = _tls_recv_nowait(self._sock, self._bufsize)
            else:
                data = self._sock.recv(self._bufsize, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return -1
        except OSError:
            return 0
        self._buf += data
        return len(data)

    def head_end(self, scanned: int, limit: int) -> int | None:
        """Where the request head in the buffer ends (just past its blank line), or 0 when a
        worker can refuse it without reading more (more than `limit` bytes: too large; a line
        ending in a bare LF, or a request line cheroot refuses: malformed); None while neither
        has arrived. The first `scanned` bytes were searched before: one search over the new
        bytes per read, however it trickles."""
        buf = self._buf
        at = buf.find(b"\r\n\r\n", scanned - 3 if scanned > 3 else 0)
        if at >= 0:
            return at + 4
        if len(buf) > limit or buf.count(b"\n", scanned) != buf.count(b"\r\n", scanned - 1 if scanned else 0):
            return 0
        start = 2 if buf.startswith(CRLF) else 0  # the request line, past one empty line before it
        line_end = buf.find(CRLF, start)
        if line_end >= 0 and _refused_request_line(bytes(buf[start : line_end + 2])):
            return 0
        return None

    def peek(self, n: int) -> bytes:
        """The first `n` bytes of the buffer, left in it."""
        return bytes(self._buf[:n])

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self.bytes_read += len(out)
        return out

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while self._fill():
                pass
            return self._take(len(self._buf))
        while len(self._buf) < size and self._fill():
            pass
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        limit = size if size is not None and size >= 0 else None
        start = 0
        while True:
            end = self._buf.find(b"\n", start)
            if end >= 0:
                end += 1
                break
            if limit is not None and len(self._buf) >= limit:
                end = limit
                break
            start = len(self._buf)
            if not self._fill():
                end = len(self._buf)
                break
        return self._take(end if limit is None else min(end, limit))

    def take_block(self, end: bytes) -> bytes | None:
        """Everything up to and including `end`, if the buffer already holds it; else None."""
        at = self._buf.find(end)
        return None if at < 0 else self._take(at + len(end))

    def has_data(self) -> bool:
        return bool(self._buf)

    def __iter__(self) -> Reader:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self.closed = True


def _tls_recv_nowait(sock: ssl.SSLSocket, n: int) -> bytes:
    """Up to `n` bytes of what has arrived, never waiting, with all that OpenSSL still holds of
    the record it decrypted (the selector would not wake for those: they left the kernel)."""
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        data = sock.recv(n)
        while data and sock.pending():
            data += sock.recv(sock.pending())
        return data
    finally:
        sock.settimeout(timeout)


class Writer:
    """cheroot's socket writer (write, bytes_written) as one `sendall`: cheroot's own goes through
    `_pyio`'s BufferedWriter, a Python loop and lock per response."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.bytes_written = 0

    def write(self, data: bytes) -> int:
        try:
            self._sock.sendall(data)
        except BlockingIOError:  # the kernel's send timeout (kernel_timeouts)
            raise TimeoutError("timed out") from None
        except ssl.SSLEOFError:  # a TLS client gone: as over plain TCP, not a server error
            raise BrokenPipeError(errno.EPIPE, "the client closed the connection") from None
        self.bytes_written += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def read_chunked(reader: Reader, maxlen: int) -> bytes:
    """A chunked request body, whole, read strictly (RFC 9112 7.1) up to its last CRLF.

    cheroot's own reader took any `int(x, 16)` ("-3", " 0x3", "3_0") as a size, read an
    unbounded size line, raised a 500-bound error for a body over the limit, and left the
    trailer's CRLF unread: the worker then sat on the connection until it timed out (408).
    """
    body = bytearray()
    read = 0
    while True:
        line = reader.readline(CHUNK_LINE_MAX + 2)
        read += len(line)
        if not line.endswith(CRLF):
            raise ValueError("Bad chunked transfer size.")
        try:
            n = chunk_size(line[:-2])  # the browser's rules too (harness.core.chunked)
        except ChunkSizeError:
            raise ValueError("Bad chunked transfer size.") from None
        if maxlen and read + n > maxlen:
            raise errors.MaxSizeExceeded("Request Entity Too Large", maxlen)
        if n == 0:
            break
        chunk = reader.read(n)
        if len(chunk) < n or reader.read(2) != CRLF:
            raise ValueError("Bad chunked transfer coding.")
        body += chunk
        read += n + 2
    while (line := reader.readline(_TRAILER_LINE)) != CRLF:  # trailer fields, ignored
        read += len(line)
        if not line.endswith(CRLF) or (maxlen and read > maxlen):
            raise ValueError("Bad chunked trailer.")
    return bytes(body)


def refusal(status: str, reason: str, text: str) -> bytes:
    """The whole answer to a request the app never sees: `status` (e.g. "408 Request Timeout"),
    its reason code in the X-SAML-Reason header, `text` as a plain-text body; it ends the connection."""
    body = text.encode("latin-1", "replace")
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        f"{REASON_HEADER}: {reason}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def readable(sock: socket.socket, timeout: float, events: int = select.POLLIN) -> bool:
    """Whether bytes (or the end of the stream) wait on `sock` within `timeout` seconds (or, for
    `events` POLLOUT, room to write)."""
    try:
        poller = select.poll()
        poller.register(sock, events)
        return bool(poller.poll(timeout * 1000))
    except (OSError, ValueError):  # closed meanwhile: let the reader find out
        return True


def kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Make a plain socket blocking, with its timeout kept by the kernel (SO_RCVTIMEO/SO_SNDTIMEO).

    Python keeps a socket's timeout by polling before every recv and send: two system calls and
    two releases of the interpreter lock each time. A silent client still times out after
    `seconds` of silence on one call: the reader and writer turn the kernel's EAGAIN into the
    "timed out" that cheroot answers with 408.
    """
    whole = int(seconds)
    tv = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    sock.settimeout(None)


class HeaderBlockReader(server.HeaderReader):
    """cheroot's header reader, taking the whole header block at once when it has arrived (the
    usual case) instead of one `readline` per header through two wrappers; cheroot's checks,
    and stricter framing than cheroot's (RFC 9112): what two parsers could read as different
    request boundaries (folded lines, names with spaces, NUL or CR in values, conflicting or
    signed Content-Length, Content-Length with Transfer-Encoding) is a 400, never a guess.

    A name with an underscore is dropped (the request is still served): its WSGI environ key
    is the hyphenated name's (`X_Requested_With` and `X-Requested-With` are both
    HTTP_X_REQUESTED_WITH, `Content_Length` would be CONTENT_LENGTH), so the app could see a
    value other than the one the framing or a proxy in front went by. nginx drops them too."""

    _names: dict[bytes, bytes] = {}  # raw header name -> cheroot's form ("content-type" -> "Content-Type")

    def __call__(self, rfile, hdict: dict | None = None) -> dict:
        hdict = {} if hdict is None else hdict
        reader = getattr(rfile, "rfile", None)
        if isinstance(reader, Reader) and isinstance(rfile, server.SizeCheckWrapper):
            block = reader.take_block(CRLF) if reader._buf[:2] == CRLF else reader.take_block(CRLF + CRLF)
            if block is not None:
                rfile.bytes_read += len(block)
                rfile._check_length()  # the header size limit, as per line
                return self._parse(block[:-2].split(CRLF)[:-1] if len(block) > 2 else [], hdict)
        return self._parse(self._lines(rfile), hdict)  # not all here yet: line by line, as cheroot

    @staticmethod
    def _lines(rfile) -> list[bytes]:
        lines = []
        while True:
            line = rfile.readline()
            if not line:
                raise ValueError("Illegal end of headers.")
            if line == CRLF:
                return lines
            if not line.endswith(CRLF):
                raise ValueError("HTTP requires CRLF terminators")
            lines.append(line[:-2])

    def _parse(self, lines: list[bytes], hdict: dict) -> dict:
        for line in lines:
            if b"\n" in line:  # cheroot's readline ends a line there: one not ending in CRLF
                raise ValueError("HTTP requires CRLF terminators")
            if line[:1] in (b" ", b"\t"):
                raise ValueError("Folded header lines are not accepted.")
            k, sep, v = line.partition(b":")
            if not sep:
                raise ValueError("Illegal header line.")
            v = v.strip()
            if b"\x00" in v or b"\r" in v:
                raise ValueError("Illegal character in a header value.")
            k = self._name(k)
            if b"_" in k:  # X_Foo is X-Foo's CGI name (HTTP_X_FOO): dropped, as nginx does by default
                continue
            existing = hdict.get(k)
            if k == b"Content-Length" and (not v.isdigit() or (existing is not None and existing != v)):
                raise ValueError("Malformed Content-Length Header.")
            if existing and k in server.comma_separated_headers:
                v = b", ".join((existing, v))
            hdict[k] = v
        if b"Content-Length" in hdict and b"Transfer-Encoding" in hdict:
            raise ValueError("Content-Length and Transfer-Encoding together.")
        return hdict

    def _name(self, raw: bytes) -> bytes:
        name = self._names.get(raw)
        if name is None:
            if not _TOKEN.fullmatch(raw):
                raise ValueError("Illegal header name.")
            name = self._transform_key(raw)
            if len(self._names) < 1024:  # hostile clients send any names: the cache stays bounded
                self._names[raw] = name
        return name


class Gateway(wsgi.Gateway_10):
    """WSGI 1.0 environ as cheroot builds it, with each header's CGI name remembered."""

    _cgi: dict[bytes, str] = {}

    def get_environ(self) -> dict:
        req = self.req
        if isinstance(req.server.bind_addr, str):  # AF_UNIX: cheroot's own, with peer credentials
            return super().get_environ()
        conn = req.conn
        env = {
            "ACTUAL_SERVER_PROTOCOL": req.server.protocol,
            "PATH_INFO": req.path.decode("latin-1"),
            "QUERY_STRING": req.qs.decode("latin-1"),
            "REMOTE_ADDR": conn.remote_addr or "",
            "REMOTE_PORT": str(conn.remote_port or ""),
            "REQUEST_METHOD": req.method.decode("latin-1"),
            "REQUEST_URI": req.uri.decode("latin-1"),
            "SCRIPT_NAME": "",
            "SERVER_NAME": req.server.server_name,
            "SERVER_PROTOCOL": req.request_protocol.decode("latin-1"),
            "SERVER_SOFTWARE": req.server.software,
            "wsgi.errors": wsgi.sys.stderr,
            "wsgi.input": req.rfile,
            "wsgi.input_terminated": bool(req.chunked_read),
            "wsgi.multiprocess": False,
            "wsgi.multithread": True,
            "wsgi.run_once": False,
            "wsgi.url_scheme": req.scheme.decode("latin-1"),
            "wsgi.version": self.version,
            "SERVER_PORT": str(req.server.bind_addr[1]),
        }
        cgi = self._cgi
        for k, v in req.inheaders.items():
            name = cgi.get(k)
            if name is None:
                name = "HTTP_" + k.decode("latin-1").upper().replace("-", "_")
                if len(cgi) < 1024:
                    cgi[k] = name
            env[name] = v.decode("latin-1")
        ct = env.pop("HTTP_CONTENT_TYPE", None)
        if ct is not None:
            env["CONTENT_TYPE"] = ct
        cl = env.pop("HTTP_CONTENT_LENGTH", None)
        if cl is not None:
            env["CONTENT_LENGTH"] = cl
        if conn.ssl_env:
            env.update(conn.ssl_env)
        return env


_date: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    """The Date header's value, formatted once per second rather than per response."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True).encode("latin-1"))
    return _date[1]
