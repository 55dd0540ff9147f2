"""The scripted browser's HTTP to loopback hosts: one kept-alive connection per host.

`requests` spent ~0.8 ms of client CPU per request (preparing, merging settings, urllib3's
pool, adapters), as much as the servers' SAML work on a loopback login. This sends the same
requests (the session's headers, cookies from and into the browser's own jar, its CA for
https) over one `browser_wire.Connection` per (scheme, host, port), reused as a browser
reuses its connections. The jar is read from the session on every request: callers may swap it.
"""

from __future__ import annotations

import codecs
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from harness.core.browser_cookies import cookie_header, store_cookies
from harness.core.browser_wire import Connection, TransportError
from samlkit.codec import form_quote

# The CAs of the harness's own HTTPS servers (harness.core.tls), trusted for loopback hosts only:
# every scripted browser of the process verifies the servers it started against them.
_LOOPBACK_CAS: list[str] = []
_CAS_LOCK = threading.Lock()


def trust_on_loopback(ca_file: str) -> None:
    with _CAS_LOCK:
        if ca_file not in _LOOPBACK_CAS:
            _LOOPBACK_CAS.append(ca_file)


def loopback_cas() -> list[str]:
    with _CAS_LOCK:
        return list(_LOOPBACK_CAS)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str


_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def form_encode(data: dict[str, str]) -> bytes:
    """`urlencode` as a browser posts a form (0.5 ms for a 10 kB base64 SAMLResponse through
    urllib; see `codec.form_quote`)."""
    return "&".join(f"{form_quote(k)}={form_quote(v)}" for k, v in data.items()).encode("ascii")


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                return codecs.lookup(value.strip('"')).name
            except LookupError:
                break  # a charset Python does not know: read it as UTF-8 (with replacements)
    return "utf-8"


def _plain_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The session's headers as a dict, names as set; a requests CaseInsensitiveDict read from
    its store (the Mapping protocol looks every name up again)."""
    if type(headers) is CaseInsensitiveDict:
        return dict(headers._store.values())
    return dict(headers)


def _host_header(host: str, port: int, scheme: str) -> str:
    text = f"[{host}]" if ":" in host else host
    return text if port == (443 if scheme == "https" else 80) else f"{text}:{port}"


def encode_request(method: str, target: str, host: str, headers: dict[str, str], body: bytes | None) -> bytes:
    """The request line, Host, Content-Length and `headers` (None values left out, as requests
    does), checked as http.client checks them: no control characters in the target, no line
    breaks in a header."""
    if not target.isascii() or _CONTROL.search(target):
        raise TransportError(f"a URL with control characters or spaces: {target[:80]!r}")
    names = {k.lower() for k in headers}
    lines = [f"{method} {target} HTTP/1.1"]
    if "host" not in names:
        lines.append(f"Host: {host}")
    if "content-length" not in names and (body is not None or method in ("POST", "PUT", "PATCH")):
        lines.append(f"Content-Length: {len(body or b'')}")
    lines.extend(f"{k}: {v}" for k, v in headers.items() if v is not None)
    text = "\r\n".join(lines)
    if text.count("\n") != len(lines) - 1 or text.count("\r") != len(lines) - 1:
        raise TransportError("a request header with a line break in it")
    return text.encode("latin-1") + b"\r\n\r\n" + (body or b"")


class Transport:
    """Connections per host for one browser; cookies and headers come from its session."""

    def __init__(self, session: requests.Session, timeout: float):
        self.session = session
        self.timeout = timeout
        self._conns: dict[tuple[str, str, int], Connection] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            verify = self.session.verify
            if verify is False:
                self._tls = ssl._create_unverified_context()  # the caller asked for it
            elif isinstance(verify, str):
                self._tls = ssl.create_default_context(cafile=verify)
            else:
                self._tls = ssl.create_default_context()
                for ca in loopback_cas():  # this transport serves loopback hosts only
                    self._tls.load_verify_locations(cafile=ca)
        return self._tls

    def _connection(self, scheme: str, host: str, port: int) -> Connection:
        key = (scheme, host, port)
        conn = self._conns.get(key)
        if conn is None:
            context = self._context() if scheme == "https" else None
            conn = self._conns[key] = Connection(scheme, host, port, self.timeout, context)
        return conn

    def request(self, method: str, url: str, data: dict[str, str] | None, extra: dict[str, str] | None = None) -> Reply:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        if scheme not in ("http", "https") or not host:
            raise TransportError(f"cannot fetch {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        jar = self.session.cookies
        headers = _plain_headers(self.session.headers)
        if extra:
            headers.update(extra)
        cookie = cookie_header(jar, url, scheme, parts.netloc, parts.path)
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if data is not None:
            body = form_encode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        wire = encode_request(method, target, _host_header(host, port, scheme), headers, body)
        raw = self._connection(scheme, host, port).exchange(wire, method)
        store_cookies(jar, url, parts.netloc, parts.path, raw.fields)
        head: dict[str, str] = {}
        for name, value in raw.headers:  # repeated headers joined, as requests does
            head[name] = f"{head[name]}, {value}" if name in head else value
        return Reply(raw.status, head, raw.body.decode(_charset(head.get("Content-Type", "")), "replace"))
