"""samlkit.app_response: the apps' redirects send exactly the headers Werkzeug's Response sends."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from samlkit.app_response import AppResponse, is_plain_uri

# Locations near the edge of what iri_to_uri leaves alone: schemes, hosts (labels, dots, case,
# IDNA, IPv6), ports (zeros, range), path and query characters (quoted or not), "?", "#", "//".
_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "ftp://",
        "//",
        "/",
        "?",
        "#",
        ".",
        "..",
        ":",
        ":0",
        ":080",
        ":8080",
        ":65535",
        ":65536",
        ":99999",
        "@",
        "user@",
        "[::1]",
        "idp.example.test",
        "IdP",
        "xn--n3h",
        "a" * 64,
        "-",
        "127.0.0.1",
        "sso",
        "%2B",
        "%",
        "%zz",
        "&",
        "=",
        ";",
        "+",
        "'",
        "(",
        " ",
        "\t",
        "\n",
        "\x00",
        '"',
        "<",
        "\\",
        "^",
        "`",
        "{",
        "|",
        "}",
        "~",
        "é",
        "☃",
        "\x7f",
        "SAMLRequest=fZJB",
    ]
)
LOCATION = st.one_of(st.lists(_PARTS, max_size=14).map("".join), st.text(max_size=60))


@given(LOCATION)
@settings(max_examples=4000)
@example("http://127.0.0.1:41234/sso?SAMLRequest=fZJBb9sw%2BF%2Fx&RelayState=%2Fhome&SigAlg=x&Signature=a%2Bb%3D")
@example("/home")
@example("/a#")
@example("/a?b#c")
@example("/pick?t=abc-_DEF")
@example("http://a..b/")
@example("http://" + "a" * 64 + "/")
@example("//evil.example/")
@example("http://h:065/")
def test_a_plain_uri_is_what_iri_to_uri_gives_back_unchanged(location: str) -> None:
    if is_plain_uri(location):
        assert iri_to_uri(location) == location


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:41234/sso?SAMLRequest=fZJBb9sw%2BF%2Fx&RelayState=%2Fhome&SigAlg=http%3A%2F%2Fw&Signature=a%2B",
        "https://idp.example.com/saml/sso?SAMLRequest=x",
        "/home",
        "/reports/q3?view=all&sort=-date",
    ],
)
def test_the_apps_locations_are_plain(location: str) -> None:
    assert is_plain_uri(location)


@pytest.mark.parametrize("location", ["http://IdP.example/", "http://h:080/", "/a?", "/ä", "http://h/a b", "//h/"])
def test_a_location_iri_to_uri_would_change_is_not_plain(location: str) -> None:
    assert not is_plain_uri(location)


_HEADER = st.tuples(
    st.sampled_from(
        ["Location", "location", "LOCATION", "Content-Location", "Content-Length", "X-Other", "Set-Cookie"]
    ),
    LOCATION.filter(lambda v: "\n" not in v and "\r" not in v and "\x00" not in v),
)


@given(
    status=st.sampled_from([100, 101, 200, 204, 302, 303, 304, 400]),
    body=st.sampled_from([None, "", "<p>page</p>", b"bytes", ["a", "bc"]]),
    headers=st.lists(_HEADER, max_size=5),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
@settings(max_examples=1500)
def test_a_response_sends_werkzeugs_headers(status: int, body: object, headers: list, method: str) -> None:
    environ = {"REQUEST_METHOD": method, "SERVER_NAME": "sp.test", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}

    def sent(cls: type[Response]) -> object:
        try:
            return cls(body, status=status, headers=headers).get_wsgi_headers(environ).to_wsgi_list()
        except (UnicodeError, ValueError) as err:  # a host IDNA refuses, a port out of range
            return type(err)

    assert sent(AppResponse) == sent(Response)


_COOKIE_TEXT = st.one_of(
    st.sampled_from(["sp_session", "idp_csrf", "a-b_C9", "", "x" * 5000, "a b", 'q"', "a;b", "é", "a,b", "\\"]),
    st.text(alphabet='ab-_;=" ,é\\', max_size=12),
)

_PLAIN_COOKIE = dict(
    key="sp_session",
    value="tok-EN_1",
    max_age=None,
    expires=None,
    path="/",
    domain=None,
    secure=True,
    httponly=True,
    samesite="None",
    partitioned=False,
)


@given(
    key=_COOKIE_TEXT,
    value=_COOKIE_TEXT,
    max_age=st.sampled_from([None, 0, 3600]),
    expires=st.sampled_from([None, 0, "Thu, 01 Jan 1970 00:00:00 GMT"]),
    path=st.sampled_from(["/", None, "/a b", "/sp"]),
    domain=st.sampled_from([None, "", "sp.example.test"]),
    secure=st.booleans(),
    httponly=st.booleans(),
    samesite=st.sampled_from([None, "Lax", "lax", "None", "Strict", "bogus"]),
    partitioned=st.booleans(),
)
@settings(max_examples=1500)
@example(**{**_PLAIN_COOKIE, "value": "a b"})
@example(**{**_PLAIN_COOKIE, "value": "x" * 5000})
@example(**{**_PLAIN_COOKIE, "domain": ""})
@example(**{**_PLAIN_COOKIE, "expires": 0})
@example(**{**_PLAIN_COOKIE, "partitioned": True})
@example(**{**_PLAIN_COOKIE, "samesite": "lax"})
def test_a_cookie_is_set_as_werkzeug_sets_it(**cookie: object) -> None:
    def sent(cls: type[Response]) -> object:
        response = cls()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                response.set_cookie(**cookie)  # type: ignore[arg-type]
            except ValueError as err:  # a SameSite value Werkzeug refuses
                return str(err)
        return response.headers.getlist("Set-Cookie"), [str(w.message) for w in caught]

    assert sent(AppResponse) == sent(Response)
