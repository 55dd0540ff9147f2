"""The request both servers read: Werkzeug's, with its URL-encoded decoding and cookie lookup made cheaper.

Werkzeug decodes a form body and a query string with `urllib.parse.parse_qsl(text,
keep_blank_values=True, errors="werkzeug.url_quote")`. Its `unquote` first splits a value into
ASCII and non-ASCII runs with a regex (~10 us over a 10 kB SAMLResponse) and decodes each ASCII
run; a value that is all ASCII (every base64 SAMLResponse, `str.isascii` is free) is one run,
decoded here directly. The pairs are Werkzeug's for every input (tests/unit/samlkit/
test_app_request.py checks it against Werkzeug): a server that read another SAMLResponse than a
proxy in front of it would be a hole.
"""

from __future__ import annotations

import functools
import typing as t
from urllib.parse import unquote, unquote_to_bytes

from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.utils import get_current_url
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request


def _unquote_plus(text: str) -> str:
    """`unquote(text.replace("+", " "), errors="werkzeug.url_quote")`, as parse_qsl decodes a name or value."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii():  # one ASCII run: what unquote decodes after splitting runs apart with a regex
        return unquote_to_bytes(text).decode("utf-8", "werkzeug.url_quote")
    return unquote(text, errors="werkzeug.url_quote")


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """`parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")`: Werkzeug's pairs, in order."""
    pairs = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


class Fields(ImmutableMultiDict):
    """Werkzeug's ImmutableMultiDict, whose `get` of an absent key (no RelayState, no cookie yet)
    raises and catches a BadRequestKeyError, an HTTPException built for nothing (~3 us)."""

    def get(self, key: t.Any, default: t.Any = None, type: t.Any = None) -> t.Any:  # type: ignore[override]
        return super().get(key, default, type) if key in self else default


class _FormParser(FormDataParser):
    def _parse_urlencoded(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], t.Any, t.Any]:
        # As Werkzeug's: the stream is already limited to max_content_length, read at once.
        return stream, self.cls(parse_pairs(stream.read().decode())), self.cls()


# The URL a listener's event names (an ACS, an SSO endpoint) is the same from request to request;
# Werkzeug rebuilds it each time (quote, then uri_to_iri: ~20 us). A pure function: cached, for
# URLs of ordinary length only, so that hostile hosts, paths and queries cannot fill memory.
_cached_url = functools.lru_cache(maxsize=256)(get_current_url)
_CACHED_URL_MAX = 1024


def _current_url(scheme: str, host: str, root_path: str, path: str, query_string: bytes | None = None) -> str:
    if len(host) + len(root_path) + len(path) + len(query_string or b"") > _CACHED_URL_MAX:
        return get_current_url(scheme, host, root_path, path, query_string)
    return _cached_url(scheme, host, root_path, path, query_string)


class AppRequest(Request):
    """Werkzeug's Request; its form body and query string are decoded by `parse_pairs`, its
    cookies read from HTTP_COOKIE, the one key a WSGI server gives the Cookie header (PEP 3333),
    all three kept in `Fields`, and its URLs (events name them when someone listens) cached."""

    form_data_parser_class = _FormParser
    parameter_storage_class = Fields  # args and form
    dict_storage_class = Fields  # cookies

    @cached_property
    def args(self) -> t.Any:
        return self.parameter_storage_class(parse_pairs(self.query_string.decode()))

    @cached_property
    def cookies(self) -> t.Any:
        # Werkzeug walks every environ key for the header (~6 us a request) to parse the same string.
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)

    @cached_property
    def url(self) -> str:
        return _current_url(self.scheme, self.host, self.root_path, self.path, self.query_string)

    @cached_property
    def base_url(self) -> str:
        return _current_url(self.scheme, self.host, self.root_path, self.path)
