"""The SAML message encodings: base64 for HTTP-POST, deflate+base64 for HTTP-Redirect.

Decoding is bounded: a deflate bomb stops at `max_bytes` instead of filling memory.
"""

from __future__ import annotations

import base64
import binascii
import zlib

# Large enough for a Response with thousands of attributes (1.1 MB with 5,005 of them), still bounded.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class DecodeError(ValueError):
    """The message is not in the encoding it claims to be."""


def b64decode_strict(text: str | bytes) -> bytes:
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError as err:
            raise DecodeError("the value is not base64 (non-ASCII characters)") from err
    cleaned = b"".join(text.split())
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as err:
        raise DecodeError(f"the value is not valid base64 ({err})") from err


def decompress_bounded(data: bytes, wbits: int, max_bytes: int) -> bytes | None:
    """`data` decompressed (zlib `wbits`: raw, zlib or gzip), or None if it would pass
    `max_bytes`: never more than that is inflated (a small bomb stays small). zlib.error if corrupt."""
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, max_bytes + 1)
    return None if len(out) > max_bytes or d.unconsumed_tail else out


def inflate(data: bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """Raw DEFLATE (RFC 1951) as HTTP-Redirect uses it, capped at `max_bytes`."""
    try:
        out = decompress_bounded(data, -15, max_bytes)
    except zlib.error as err:
        raise DecodeError(f"the value is not DEFLATE-compressed ({err})") from err
    if out is None:
        raise DecodeError(f"the inflated message is larger than {max_bytes} bytes")
    return out


def deflate(data: bytes) -> bytes:
    """Raw DEFLATE for HTTP-Redirect. A message of a few kB gets a 4 kB window and small hash
    tables (output within a few per cent for such sizes; any inflater reads it): zlib's defaults set up
    ~300 kB of state per call, 4-5x the time of compressing a 1 kB AuthnRequest."""
    if len(data) <= 4096:
        c = zlib.compressobj(9, zlib.DEFLATED, -12, 4)
    else:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def encode_redirect(xml: bytes) -> str:
    return base64.b64encode(deflate(xml)).decode("ascii")


def decode_redirect(value: str, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    return inflate(b64decode_strict(value), max_bytes)


def encode_post(xml: bytes) -> str:
    return base64.b64encode(xml).decode("ascii")


def decode_post(value: str, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """HTTP-POST is plain base64; unlike pysaml2 we never try to inflate it."""
    if len(value) > (max_bytes * 4) // 3 + 8:
        raise DecodeError(f"the message is larger than {max_bytes} bytes")
    return b64decode_strict(value)


_FORM_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-"


def form_quote(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, the same octets, without its Python loop per character.

    quote_plus walks every character in Python once a value holds "+" or "/", which base64
    always does (~25 us per 600 characters, paid per Redirect and per posted Response form).
    Here one C pass (`translate`) finds the bytes that need escaping, then one `replace` per
    distinct byte: "%" first (the escapes add more), space to "+" last.
    """
    raw = text.encode("utf-8")
    unsafe = set(raw.translate(None, _FORM_SAFE))
    if not unsafe:
        return raw.decode("ascii")
    if 37 in unsafe:  # "%"
        raw = raw.replace(b"%", b"%25")
        unsafe.discard(37)
    for byte in sorted(unsafe - {32}):
        raw = raw.replace(bytes((byte,)), b"%%%02X" % byte)
    return (raw.replace(b" ", b"+") if 32 in unsafe else raw).decode("ascii")
