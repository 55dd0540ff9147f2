"""The chunk-size line of HTTP/1.1 chunked framing (RFC 9112 7.1), read by one set of rules at
both ends: the servers' request bodies (http_glue.read_chunked) and the scripted browser's
responses (browser_wire). Two readings of one line are how a body is smuggled past a proxy, so
there is one: 1 to 16 hex digits, optional spaces or tabs before optional extensions (ignored,
but never holding a control character such as a bare CR or NUL), at most CHUNK_LINE_MAX bytes.
No sign, "0x", underscore, leading whitespace or anything `int(x, 16)` would also take."""

from __future__ import annotations

import re

CHUNK_LINE_MAX = 1024  # a chunk-size line with its extensions, without its line end
_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?")


class ChunkSizeError(ValueError):
    """A chunk-size line that the rules above refuse."""


def chunk_size(line: bytes) -> int:
    """The size `line` (without its CRLF) announces, or ChunkSizeError."""
    if len(line) > CHUNK_LINE_MAX:
        raise ChunkSizeError(f"a chunk-size line over {CHUNK_LINE_MAX} bytes")
    m = _LINE.fullmatch(line)
    if m is None:
        raise ChunkSizeError(f"a bad chunk size: {line[:40]!r}")
    return int(m.group(1), 16)
