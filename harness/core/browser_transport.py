"""The scripted browser's HTTP to loopback hosts: one kept-alive http.client connection per host.

`requests` spent ~0.8 ms of client CPU per request (preparing, merging settings, urllib3's
pool, adapters), as much as the servers' SAML work on a loopback login. This sends the same
requests (the session's headers, cookies from and into the browser's own jar, its CA for
https) over one http.client connection per (scheme, host, port), reused as a browser reuses
its connections. The jar is read from the session on every request: callers may swap it.
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

# A kept-alive connection the server has since closed fails on first use: send again, once.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


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


class TransportError(ValueError):
    pass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str


_UNSAFE = re.compile(rb"[^A-Za-z0-9_.~ -]")


def form_encode(data: dict[str, str]) -> bytes:
    """`urlencode` as a browser posts a form, without urllib's per-character Python loop
    (0.5 ms for a 10 kB base64 SAMLResponse; only its + / = need escaping)."""

    def enc(text: str) -> bytes:
        raw = text.encode("utf-8")
        return _UNSAFE.sub(lambda m: b"%%%02X" % m.group()[0], raw).replace(b" ", b"+")

    return b"&".join(enc(k) + b"=" + enc(v) for k, v in data.items())


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


class _OneSend:
    """http.client sends a request's head and its body in two sends (two wake-ups of the
    server on loopback, and Nagle's delay elsewhere): send them together."""

    def _send_output(self, message_body: bytes | None = None, encode_chunked: bool = False) -> None:
        if message_body is not None and not isinstance(message_body, bytes):
            return super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
        msg = b"\r\n".join(self._buffer) + b"\r\n\r\n"
        del self._buffer[:]
        self.send(msg + (message_body or b""))
        return None


class _HTTP(_OneSend, http.client.HTTPConnection):
    pass


class _HTTPS(_OneSend, http.client.HTTPSConnection):
    pass


class Transport:
    """Connections per host for one browser; cookies and headers come from its session."""

    def __init__(self, session: requests.Session, timeout: float):
        self.session = session
        self.timeout = timeout
        self._conns: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
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

    def _connection(self, scheme: str, host: str, port: int) -> tuple[http.client.HTTPConnection, bool]:
        key = (scheme, host, port)
        conn = self._conns.get(key)
        if conn is not None:
            return conn, True
        if scheme == "https":
            conn = _HTTPS(host, port, timeout=self.timeout, context=self._context())
        else:
            conn = _HTTP(host, port, timeout=self.timeout)
        self._conns[key] = conn
        return conn, False

    def request(self, method: str, url: str, data: dict[str, str] | None, extra: dict[str, str] | None = None) -> Reply:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"cannot fetch {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req = urllib.request.Request(url, method=method)
        jar = self.session.cookies
        jar.add_cookie_header(req)
        headers = dict(self.session.headers)
        headers.update(extra or {})
        headers.update(req.header_items())
        body = None
        if data is not None:
            body = form_encode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn, reused = self._connection(scheme, parts.hostname, port)
        try:
            resp = self._exchange(conn, method, target, body, headers)
        except _STALE:
            if not reused:
                raise
            conn.close()
            resp = self._exchange(conn, method, target, body, headers)
        payload = resp.read()
        jar.extract_cookies(resp, req)
        if resp.will_close:
            conn.close()
            self._conns.pop((scheme, parts.hostname, port), None)
        head: dict[str, str] = {}
        for name, value in resp.getheaders():  # repeated headers joined, as requests does
            head[name] = f"{head[name]}, {value}" if name in head else value
        return Reply(resp.status, head, payload.decode(_charset(head.get("Content-Type", "")), "replace"))

    @staticmethod
    def _exchange(
        conn: http.client.HTTPConnection, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        conn.request(method, target, body=body, headers=headers)
        return conn.getresponse()
