"""harness.core.browser_cookies: the scripted browser's fast cookie route stores the very cookies
http.cookiejar stores and sends the very Cookie header it sends, Set-Cookie by Set-Cookie, for
host-only, Path, Secure, Max-Age/Expires deletion, Domain/Port/Version (the stdlib's own route),
on every kind of loopback host name."""

from __future__ import annotations

import time
import urllib.request
from http.cookiejar import CookieJar, DefaultCookiePolicy

import pytest
from requests.cookies import RequestsCookieJar

from harness.core.browser_cookies import _Response, cookie_header, store_cookies

HOSTS = ["127.0.0.1:8080", "LocalHost:9", "[::1]:8443", "sp.example.com", "idp.example.com:8000"]
STEPS = [
    ("/", ["a=1; Path=/", "b=2"]),
    ("/dir/page", ["c=3", "d=4; Path=/dir/sub; Secure", "e=5; Max-Age=3600; HttpOnly; SameSite=Lax"]),
    ("/dir/page", ['q="quoted value"', "h", "=x", "i=1; Max-Age=abc", "j=1; Path=", "k=1; path=/DIR"]),
    ("/x", ["n=1; expires=Wed, 21 Oct 2099 07:28:00 GMT", "o=1; Expires=nonsense", "p=1; max-age=5; expires=x"]),
    ("/", ["a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"]),  # werkzeug's delete_cookie
    ("/dir/page", ["c=; Max-Age=0", "b=3", "b=; Max-Age=-1"]),
    ("/", ["s=1; Secure; Path=/", "r=2; Path=/dir"]),
    # the stdlib's own route:
    ("/", ["d=1; Domain=example.com; Path=/", "l=1; Domain=localhost; Path=/", "port=1; Port=80", "v=1; Version=1"]),
    ("/", ["late=1; Path=/", "late=; Max-Age=0; Path=/"]),  # deleted before it is kept: it stays
    ("/dir/p", ["m=1; max-age= 12 ; Max-Age=0", "m2=1; Max-Age=+5; Path=/", 'e="Wed, 21 Oct 2099 07:28:00 GMT"']),
    ("/", ['x=1; Expires="Wed, 21 Oct 2099 07:28:00 GMT"; Comment=c; COMMENT=d; Discard; Path=/', "y=1; secure=yes"]),
    ("/", ["z=1; HttpOnly; httponly=x; SameSite=Strict; Path=/; path=/dir", "w=1; Version=0; Comment", "u=1; Path"]),
    ("/", ['v="1"; Version="0"', " spaced = value ; Path = / ", "t=1; Expires", "s2=1;;; Path=/;"]),
]
PROBES = ["/", "/dir", "/dir/", "/dir/page", "/dir/sub/x", "/dirt", "/DIR/a", "/x", "/a b/ü"]


def _stdlib_store(jar: CookieJar, url: str, values: list[str]) -> None:
    jar.extract_cookies(_Response({"set-cookie": values}), urllib.request.Request(url))  # type: ignore[arg-type]


def _stdlib_header(jar: CookieJar, url: str) -> str | None:
    req = urllib.request.Request(url)
    jar.add_cookie_header(req)
    return req.get_header("Cookie")


def _contents(jar: CookieJar) -> list[dict]:
    return sorted((vars(c) for c in jar), key=lambda d: (d["domain"], d["path"], d["name"]))


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.25)


@pytest.mark.parametrize("jar_type", [RequestsCookieJar, CookieJar])
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("host", HOSTS)
def test_the_fast_route_matches_http_cookiejar(jar_type: type, scheme: str, host: str) -> None:
    ours, theirs = jar_type(), jar_type()
    for path, values in STEPS:
        url = f"{scheme}://{host}{path}"
        store_cookies(ours, url, host, path, {"set-cookie": values, "x-other": ["1"]})
        _stdlib_store(theirs, url, values)
        assert _contents(ours) == _contents(theirs), (path, values)
        for probe in PROBES:
            for other in (scheme, "http"):
                u = f"{other}://{host}{probe}"
                assert cookie_header(ours, u, other, host, probe) == _stdlib_header(theirs, u), u
                assert _contents(ours) == _contents(theirs)


def test_a_cookie_from_another_host_is_not_sent() -> None:
    jar = RequestsCookieJar()
    store_cookies(jar, "http://127.0.0.1:1/", "127.0.0.1:1", "/", {"set-cookie": ["sp=1; Path=/"]})
    store_cookies(jar, "http://localhost:2/", "localhost:2", "/", {"set-cookie": ["idp=1; Path=/"]})
    assert cookie_header(jar, "http://127.0.0.1:1/", "http", "127.0.0.1:1", "/") == "sp=1"
    assert cookie_header(jar, "http://localhost:2/a", "http", "localhost:2", "/a") == "idp=1"
    assert cookie_header(jar, "http://[::1]:2/", "http", "[::1]:2", "/") is None


def test_an_expired_cookie_leaves_the_jar_when_a_request_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    jar = RequestsCookieJar()
    store_cookies(jar, "http://127.0.0.1:1/", "127.0.0.1:1", "/", {"set-cookie": ["soon=1; Max-Age=10"]})
    assert cookie_header(jar, "http://127.0.0.1:1/", "http", "127.0.0.1:1", "/") == "soon=1"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 11)
    assert cookie_header(jar, "http://127.0.0.1:1/", "http", "127.0.0.1:1", "/") is None
    assert list(jar) == []


def test_a_jar_with_its_own_policy_goes_the_stdlib_route() -> None:
    jar = CookieJar(DefaultCookiePolicy(blocked_domains=["127.0.0.1"]))
    store_cookies(jar, "http://127.0.0.1:1/", "127.0.0.1:1", "/", {"set-cookie": ["a=1; Path=/"]})
    assert list(jar) == []


def test_a_max_age_without_value_goes_the_stdlib_route_with_its_warning() -> None:
    ours, theirs = RequestsCookieJar(), RequestsCookieJar()
    values = ["ok=1; Path=/", "bad=1; Max-Age"]
    with pytest.warns(UserWarning, match="http.cookiejar bug"):
        store_cookies(ours, "http://127.0.0.1:1/", "127.0.0.1:1", "/", {"set-cookie": values})
    with pytest.warns(UserWarning, match="http.cookiejar bug"):
        _stdlib_store(theirs, "http://127.0.0.1:1/", values)
    assert _contents(ours) == _contents(theirs)
