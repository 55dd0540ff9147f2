"""The response both servers answer with: Werkzeug's, sending the same headers a little sooner.

Werkzeug passes every Location through `iri_to_uri` (urlsplit, IDNA, three quotes, urlunsplit:
~5-15 us a redirect). The apps' Locations are URIs already (ASCII, nothing to quote), which
`iri_to_uri` gives back unchanged: `is_plain_uri` recognises them, and only they skip it.
Werkzeug's `dump_cookie` builds each Set-Cookie attribute by attribute (~5 us); a session cookie
with a plain name and value gets the attributes dump_cookie wrote for the same flags once.
tests/unit/samlkit/test_app_response.py checks all of it against Werkzeug: for any string
`is_plain_uri` accepts, `iri_to_uri` changes nothing, and for any response or cookie the headers
are Werkzeug's.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from werkzeug.datastructures import Headers
from werkzeug.http import dump_cookie, remove_entity_headers
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

_LABEL = r"[a-z0-9-]{1,63}"  # what IDNA leaves as it is (lower-case ASCII, 1 to 63 characters)
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
_UNQUOTED = r"A-Za-z0-9\-._~%!$&'()*+,/:;=@"  # what iri_to_uri's quote leaves in a path ("?" too in a query)
_PLAIN_URI = re.compile(
    rf"(?:https?://{_LABEL}(?:\.{_LABEL})*(?::{_PORT})?/|/(?!/))[{_UNQUOTED}]*(?:\?[{_UNQUOTED}?]+)?"
)


def is_plain_uri(location: str) -> bool:
    """An http(s) URL or an absolute path that iri_to_uri would give back unchanged."""
    return _PLAIN_URI.fullmatch(location) is not None


def _to_uri(location: str) -> str:
    return location if is_plain_uri(location) else iri_to_uri(location)


_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_-]+")  # a name dump_cookie writes as it is, a value it never quotes


@functools.lru_cache(maxsize=64)
def _cookie_attributes(path: str | None, secure: bool, httponly: bool, samesite: str | None) -> str:
    """What dump_cookie writes after `name=value` for a cookie without lifetime or domain."""
    return dump_cookie("n", "v", path=path, secure=secure, httponly=httponly, samesite=samesite, max_size=0)[3:]


class AppResponse(Response):
    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Werkzeug's set_cookie; a plain session cookie's attributes come from `_cookie_attributes`."""
        plain = max_age is None and expires is None and domain is None and not partitioned
        if plain and _PLAIN_TOKEN.fullmatch(key) and _PLAIN_TOKEN.fullmatch(value):
            header = f"{key}={value}{_cookie_attributes(path, secure, httponly, samesite)}"
            if len(header) <= self.max_cookie_size:  # else Werkzeug's warning about its size
                self.headers.add("Set-Cookie", header)
                return
        super().set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned)

    def get_wsgi_headers(self, environ: dict) -> Headers:
        """Werkzeug 3.1's own steps (`Response.get_wsgi_headers`), with `_to_uri` for `iri_to_uri`."""
        if self.autocorrect_location_header:  # off by default; the apps never turn it on
            return super().get_wsgi_headers(environ)
        headers = Headers(self.headers)
        location = content_location = content_length = None
        status = self.status_code
        for key, value in headers:
            ikey = key.lower()
            if ikey == "location":
                location = value
            elif ikey == "content-location":
                content_location = value
            elif ikey == "content-length":
                content_length = value
        if location is not None:
            headers["Location"] = _to_uri(location)
        if content_location is not None:
            headers["Content-Location"] = iri_to_uri(content_location)
        if 100 <= status < 200 or status == 204:
            headers.remove("Content-Length")
        elif status == 304:
            remove_entity_headers(headers)
        if (
            self.automatically_set_content_length
            and self.is_sequence
            and content_length is None
            and status not in (204, 304)
            and not (100 <= status < 200)
        ):
            headers["Content-Length"] = str(sum(len(x) for x in self.iter_encoded()))
        return headers
