"""samlkit.app_request: both servers read exactly the form fields and query parameters Werkzeug reads.

A parser differential is a hole (the SP would read another SAMLResponse than a proxy in front of
it), so every property here compares with Werkzeug itself, for any text or bytes.
"""

from __future__ import annotations

import base64
import io
import sys
from urllib.parse import parse_qsl

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from samlkit import app_request
from samlkit.app_request import AppRequest, Fields, parse_pairs

# What a form or query is made of, weighted towards what decoding treats specially: separators,
# "+", escapes of every kind (the base64 three in both cases, others, broken ones, invalid UTF-8).
PIECES = st.sampled_from(
    [
        "&",
        "=",
        ";",
        "+",
        " ",
        "%",
        "%2B",
        "%2b",
        "%2F",
        "%2f",
        "%3D",
        "%3d",
        "%25",
        "%2",
        "%3",
        "%2G",
        "%20",
        "%26",
        "%3B",
        "%00",
        "%FF",
        "%C3",
        "%A9",
        "%C3%A9",
        "%E2%82",
        "%F0%9F%98%80",
        "%ZZ",
        "2B",
        "B",
        "a",
        "Z",
        "0",
        "/",
        "é",
        "€",
        "\x00",
        "\n",
        "\U0001f600",
        "SAMLResponse",
        "RelayState",
    ]
)
FORM_TEXT = st.one_of(st.lists(PIECES, max_size=40).map("".join), st.text(max_size=200))


def werkzeug_pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")


@given(FORM_TEXT)
@settings(max_examples=3000)
@example("SAMLResponse=PHNhbWxwOlJlc3BvbnNl%2B%2Fabc%3D%3D&RelayState=%2Fhome%3Fa%3Db")
@example("%2%2B=%252B&a=%2b%2f%3d%2")
@example("a=%C3%A9%FF&b=%2B%ZZ&&;c")
def test_pairs_are_werkzeugs_for_any_text(text: str) -> None:
    assert parse_pairs(text) == werkzeug_pairs(text)


@given(st.binary(min_size=1, max_size=2048))
def test_a_base64_value_as_a_browser_posts_it(data: bytes) -> None:
    value = base64.b64encode(data).decode()
    for escaped in (value.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"), value.lower(), value):
        text = f"SAMLResponse={escaped}&RelayState=%2Fhome"
        assert parse_pairs(text) == werkzeug_pairs(text)


def _environ(query: bytes, body: bytes, content_type: str | None, length: str | None) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/acs",
        "QUERY_STRING": query.decode("latin-1"),  # as a WSGI server hands it over
        "SERVER_NAME": "sp.test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    if length is not None:
        env["CONTENT_LENGTH"] = length
    return env


def _read(cls: type[Request], env: dict, attr: str, limit: int | None) -> tuple[str, object]:
    request = cls(env)
    request.max_content_length = limit
    request.max_form_memory_size = limit
    try:
        return "ok", list(getattr(request, attr).items(multi=True))
    except RequestEntityTooLarge:
        return "too-large", None
    except UnicodeDecodeError:
        return "not-utf8", None


BODY = st.one_of(FORM_TEXT.map(lambda s: s.encode("utf-8")), st.binary(max_size=300))
CONTENT_TYPE = st.sampled_from(
    [
        None,
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "APPLICATION/X-WWW-FORM-URLENCODED",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)


@given(
    query=BODY,
    body=BODY,
    content_type=CONTENT_TYPE,
    declared=st.sampled_from(["exact", "none", "short", "bad"]),
    limit=st.sampled_from([None, 16, 1 << 20]),
)
@settings(max_examples=1500)
def test_a_request_reads_the_same_form_and_args_as_werkzeugs(
    query: bytes, body: bytes, content_type: str | None, declared: str, limit: int | None
) -> None:
    length = {"exact": str(len(body)), "none": None, "short": str(len(body) // 2), "bad": "x"}[declared]
    for attr in ("form", "args", "values"):
        ours = _read(AppRequest, _environ(query, body, content_type, length), attr, limit)
        theirs = _read(Request, _environ(query, body, content_type, length), attr, limit)
        assert ours == theirs


# Cookie headers as browsers and attackers send them: separators, quoting, escapes, repeats, Latin-1.
COOKIE_HEADER = st.one_of(
    st.lists(
        st.sampled_from(["sp_browser", "csrf", "=", ";", "; ", " ", '"', "\\", "\\073", ",", "a", "é", "\x00", "%3B"]),
        max_size=30,
    ).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=120),
)


@given(COOKIE_HEADER)
@settings(max_examples=1500)
def test_a_request_reads_the_same_cookies_as_werkzeugs(header: str) -> None:
    env = _environ(b"", b"", None, None)
    env["HTTP_COOKIE"] = header
    assert list(AppRequest(env).cookies.items(multi=True)) == list(Request(dict(env)).cookies.items(multi=True))


def test_no_cookie_header_is_no_cookie() -> None:
    assert AppRequest(_environ(b"", b"", None, None)).cookies == Request(_environ(b"", b"", None, None)).cookies == {}


_KEY = st.sampled_from(["RelayState", "SAMLResponse", "t", "", "n"])


@given(
    items=st.lists(st.tuples(_KEY, st.sampled_from(["", "7", "x", "-1"])), max_size=6),
    key=_KEY,
    default=st.sampled_from([None, "", 0]),
    convert=st.sampled_from([None, int, str]),
)
def test_fields_get_answers_as_werkzeugs_multidict(items: list, key: str, default: object, convert: object) -> None:
    ours, theirs = Fields(items), ImmutableMultiDict(items)
    assert ours.get(key, default, convert) == theirs.get(key, default, convert)  # type: ignore[arg-type]
    assert ours.get(key) == theirs.get(key)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


@given(
    host=st.sampled_from(["sp.test", "SP.test:8443", "127.0.0.1:41234", "[::1]:80", "é.test", "a b", ""]),
    script=st.sampled_from(["", "/app", "/a%20b", "/é"]),
    path=st.sampled_from(["/acs", "/acs/", "/a b", "/%2F", "/é", "/sso?x", ""]),
    query=BODY,
    scheme=st.sampled_from(["http", "https"]),
)
@settings(max_examples=500)
def test_a_request_names_the_same_urls_as_werkzeugs(
    host: str, script: str, path: str, query: bytes, scheme: str
) -> None:
    env = _environ(query, b"", None, None)
    env.update(HTTP_HOST=host, SCRIPT_NAME=script, PATH_INFO=path, **{"wsgi.url_scheme": scheme})
    for _ in range(2):  # the second time from the cache
        ours, theirs = AppRequest(dict(env)), Request(dict(env))
        assert (ours.url, ours.base_url) == (theirs.url, theirs.base_url)


def test_a_long_url_is_built_but_never_cached() -> None:
    app_request._cached_url.cache_clear()
    env = _environ(b"q=" + b"x" * 2000, b"", None, None)
    env["HTTP_HOST"] = "sp.test"
    assert AppRequest(dict(env)).url == Request(dict(env)).url
    assert AppRequest(dict(env)).base_url == Request(dict(env)).base_url  # short: cached
    assert app_request._cached_url.cache_info().currsize == 1


def test_the_fast_decoding_is_the_one_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a Werkzeug upgrade stopped calling the override, the property tests above would still pass."""
    seen: list[str] = []

    def spy(text: str) -> list[tuple[str, str]]:
        seen.append(text)
        return parse_pairs(text)

    monkeypatch.setattr(app_request, "parse_pairs", spy)
    env = _environ(b"idm_key=a%2Bb", b"SAMLResponse=x%2By", "application/x-www-form-urlencoded", "18")
    request = AppRequest(env)
    assert request.form["SAMLResponse"] == "x+y"
    assert request.args["idm_key"] == "a+b"
    assert seen == ["SAMLResponse=x%2By", "idm_key=a%2Bb"]
