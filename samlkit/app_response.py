"""The response both servers redirect with: Werkzeug's, sending the same headers a little sooner.

Werkzeug passes every Location through `iri_to_uri` (urlsplit, IDNA, three quotes, urlunsplit:
~5-15 us a redirect). The apps' Locations are URIs already (ASCII, nothing to quote), which
`iri_to_uri` gives back unchanged: `is_plain_uri` recognises them, and only they skip it.
tests/unit/samlkit/test_app_response.py checks both against Werkzeug: for any string
`is_plain_uri` accepts, `iri_to_uri` changes nothing, and for any response the headers are Werkzeug's.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import Headers
from werkzeug.http import remove_entity_headers
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


class AppResponse(Response):
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
