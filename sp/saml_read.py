"""Reading untrusted SAML XML: names, strings, issuers, encodings and xs:dateTime instants.

Pure functions on lxml elements and bytes, shared by the validator's stages.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zlib

from lxml import etree

from samlkit import ns


def q(local: str, nsuri: str = ns.SAML) -> str:
    return ns.q(nsuri, local)


def string_of(el: etree._Element) -> str:
    """XPath string() of `el`: its text nodes joined, comments skipped. An element without child
    nodes needs no XPath call, which costs ~10 us (it compiles the expression each time)."""
    if len(el) == 0:
        return el.text or ""
    return el.xpath("string()")


_ISSUERS = etree.XPath("saml:Issuer | saml:Assertion/saml:Issuer", namespaces={"saml": ns.SAML})


def issuers_of(root: etree._Element) -> set[str]:
    """The Issuer values of the Response and of its direct Assertions: who claims to speak."""
    return {string_of(el) for el in _ISSUERS(root)}


def looks_deflated(data: bytes) -> bool:
    """True when `data` is not XML but raw DEFLATE that inflates to XML (a Redirect-style value)."""
    if data.lstrip()[:1] in (b"<", b""):
        return False
    try:
        out = zlib.decompressobj(-15).decompress(data, 64)
    except zlib.error:
        return False
    return out.lstrip().startswith(b"<")


_ENCODING_DECL = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}


def not_utf8(data: bytes) -> str | None:
    """Why `data` is not plain UTF-8 XML, or None.

    The DOCTYPE check scans bytes before parsing, and libxml2 honours UTF-16, UTF-7, EBCDIC...:
    in those a DOCTYPE hides from the scan and its external parameter entities get loaded.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in body:
        return "it contains NUL bytes (UTF-16 or UTF-32)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not valid UTF-8"
    m = _ENCODING_DECL.match(body.lstrip())
    if m and m.group(1).decode("ascii", "replace").strip().lower() not in _UTF8_NAMES:
        return f"it declares the encoding {m.group(1).decode('ascii', 'replace')!r}"
    return None


_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


# A Response repeats its instants (IssueInstant twice, NotOnOrAfter two or three times); a
# bounded memo of short values reads each once. datetimes are immutable, so sharing is safe.
INSTANT_CACHE_SIZE = 512
_CACHEABLE_INSTANT = 64  # characters: an xs:dateTime with nanoseconds and a zone is ~35


def parse_instant(value: str | None) -> dt.datetime | None:
    """An xs:dateTime as an aware UTC datetime; None when the value is not one.

    Only the xs:dateTime form is read (no bare dates, week dates or basic format, which
    `fromisoformat` takes), without a zone it is UTC, and an instant that falls outside
    Python's years 1-9999 once in UTC is not a time either (datetime cannot hold it).
    """
    if value is None:
        return None
    if len(value) <= _CACHEABLE_INSTANT:
        return _read_instant_cached(value)
    return _read_instant(value)


def _read_instant(value: str) -> dt.datetime | None:
    m = _DATETIME.fullmatch(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        t = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=dt.UTC)
        if zone and zone != "Z":
            offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            if offset > dt.timedelta(hours=14):
                return None
            t = t - offset if zone[0] == "+" else t + offset
    except (ValueError, OverflowError):
        return None
    return t


_read_instant_cached = functools.lru_cache(maxsize=INSTANT_CACHE_SIZE)(_read_instant)
