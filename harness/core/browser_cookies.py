"""Cookies in and out of the scripted browser's jar, as http.cookiejar would do it, faster.

The jar stays a requests/http.cookiejar jar (callers read it, copy it, swap it, and requests
shares it for other hosts), so the cookies stored here are the very `Cookie` objects the
stdlib would store, under the same domain and path keys. What changes is the route: the
stdlib checks every cookie through a dozen policy methods that each parse the request URL
again (a third of the transport's remaining CPU on a login). With the default policy and
plain Netscape cookies (no Domain, Port or Version attribute, no Set-Cookie2), the checks
below are those methods inlined: host-only cookies, Path, Secure, Max-Age/Expires (a date
in the past deletes), SameSite and HttpOnly kept as the stdlib keeps them (not enforced).
Anything else goes through the stdlib unchanged.
"""

from __future__ import annotations

import functools
import time
import urllib.request
from collections.abc import Mapping
from http import cookiejar
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy

# The stdlib's own helpers, so that what is read here is what http.cookiejar reads (untyped there).
IPV4_RE = cookiejar.IPV4_RE  # type: ignore[attr-defined]
escape_path = cookiejar.escape_path  # type: ignore[attr-defined]
http2time = cookiejar.http2time  # type: ignore[attr-defined]
strip_quotes = cookiejar.strip_quotes  # type: ignore[attr-defined]
_FALLBACK = object()


class _Response:
    """A response's headers as http.cookiejar reads them (`response.info().get_all`)."""

    def __init__(self, fields: Mapping[str, list[str]]):
        self._fields = fields

    def info(self) -> _Response:
        return self

    def get_all(self, name: str, default: list[str]) -> list[str]:
        return list(self._fields.get(name.lower(), ())) or default


_METHODS = ("add_cookie_header", "extract_cookies", "make_cookies", "_cookies_for_request", "clear")
_plain_types: dict[type, bool] = {}


def _plain_type(cls: type) -> bool:
    """A CookieJar class that cookies in and out as CookieJar's own methods do (remembered)."""
    known = _plain_types.get(cls)
    if known is None:
        known = _plain_types[cls] = issubclass(cls, CookieJar) and all(
            getattr(cls, m) is getattr(CookieJar, m) for m in _METHODS
        )
    return known


def _plain(jar: object) -> bool:
    """Whether this jar does exactly what a CookieJar with a default DefaultCookiePolicy does."""
    if not _plain_type(type(jar)):
        return False
    p = jar._policy  # type: ignore[attr-defined]
    return (
        type(p) is DefaultCookiePolicy
        and p.netscape
        and not p.rfc2965
        and not p.blocked_domains()
        and p.allowed_domains() is None
        and not p.strict_ns_domain
        and not p.strict_ns_set_initial_dollar
        and not p.strict_ns_set_path
    )


_escaped = functools.lru_cache(maxsize=512)(escape_path)


def _request_path(path: str) -> str:
    path = _escaped(path)
    return path if path.startswith("/") else "/" + path


def _hosts(netloc: str) -> tuple[str, str]:
    """(request-host, effective request-host name) as http.cookiejar.eff_request_host."""
    host, colon, port = netloc.rpartition(":")
    if not (colon and port.isascii() and port.isdigit()):
        host = netloc
    host = host.lower()
    if "." not in host and not IPV4_RE.search(host):
        return host, host + ".local"
    return host, host


def cookie_header(jar: CookieJar, url: str, scheme: str, netloc: str, path: str) -> str | None:
    """The Cookie header for a request to `url` (None: no cookie), expired cookies dropped."""
    if "@" in netloc or not _plain(jar):
        return _stdlib_header(jar, url)
    found = _matching(jar, scheme, netloc, _request_path(path))
    if found is _FALLBACK:
        return _stdlib_header(jar, url)
    assert isinstance(found, list)
    found.sort(key=lambda c: len(c.path), reverse=True)
    return "; ".join(c.name if c.value is None else f"{c.name}={c.value}" for c in found) or None


def _matching(jar: CookieJar, scheme: str, netloc: str, req_path: str) -> list[Cookie] | object:
    req_host, erhn = _hosts(netloc)
    dot_host, dot_erhn = "." + req_host, "." + erhn
    policy = jar._policy  # type: ignore[attr-defined]
    now = policy._now = jar._now = int(time.time())  # type: ignore[attr-defined]
    secure_ok = scheme in policy.secure_protocols
    found: list[Cookie] = []
    expired: list[Cookie] = []
    with jar._cookies_lock:  # type: ignore[attr-defined]
        for domain, by_path in jar._cookies.items():  # type: ignore[attr-defined]
            dotdomain = "." + domain if domain and not domain.startswith(".") else domain
            domain_ok = dot_host.endswith(dotdomain) or dot_erhn.endswith(dotdomain)
            for cpath, by_name in by_path.items():
                path_ok = domain_ok and _path_ok(req_path, cpath)
                for cookie in by_name.values():
                    if cookie.is_expired(now):
                        expired.append(cookie)
                    elif path_ok:
                        if cookie.version != 0 or cookie.port:
                            return _FALLBACK
                        if (secure_ok or not cookie.secure) and dot_erhn.endswith(dotdomain):
                            found.append(cookie)
        for cookie in expired:
            jar.clear(cookie.domain, cookie.path, cookie.name)
    return found


def _path_ok(req_path: str, path: str) -> bool:
    """DefaultCookiePolicy.path_return_ok."""
    n = len(path)
    return req_path == path or (req_path.startswith(path) and (path.endswith("/") or req_path[n : n + 1] == "/"))


def _stdlib_header(jar: CookieJar, url: str) -> str | None:
    req = urllib.request.Request(url)
    jar.add_cookie_header(req)
    return req.get_header("Cookie")


def store_cookies(jar: CookieJar, url: str, netloc: str, path: str, fields: Mapping[str, list[str]]) -> None:
    """Keep the cookies a response sets (its Set-Cookie headers; `fields`: the response's
    header values by lower-cased name), as `jar.extract_cookies`."""
    values = fields.get("set-cookie", [])
    if not values and "set-cookie2" not in fields:
        return
    now = int(time.time())
    tuples = [_cookie_tuple(v, now) for v in values]
    if "@" in netloc or not _plain(jar) or _FALLBACK in tuples or "set-cookie2" in fields:
        jar.extract_cookies(_Response(fields), urllib.request.Request(url))  # type: ignore[arg-type]
        return
    with jar._cookies_lock:  # type: ignore[attr-defined]
        jar._policy._now = jar._now = now  # type: ignore[attr-defined]
        made = [_host_only_cookie(jar, t, netloc, path) for t in tuples if isinstance(t, tuple)]
        for cookie in made:  # made first, then kept: a later header deleting an earlier one's cookie
            if cookie is not None:  # does not delete it, as in the stdlib
                jar.set_cookie(cookie)


_NS_KNOWN = frozenset({"expires", "domain", "path", "secure", "version", "port", "max-age"})
_VALUE_ATTRS = frozenset({"version", "expires", "max-age", "domain", "path", "port", "comment", "commenturl"})
_BOOLEAN_ATTRS = frozenset({"discard", "secure"})


def _cookie_tuple(header: str, now: int) -> tuple | object | None:
    """One Set-Cookie value as http.cookiejar's `parse_ns_headers` + `_normalized_cookie_tuples`
    make it: (name, value, standard, rest); None: a cookie the stdlib ignores; _FALLBACK: one
    for the stdlib's own route (Domain, Port, a Version other than 0, a Max-Age without value)."""
    first, *params = header.split(";")
    name, sep, value = first.strip().partition("=")
    name = name.strip()
    if not name:
        return None
    standard: dict[str, object] = {}
    rest: dict[str, object] = {}
    max_age_set = False
    for param in params:
        k, sep2, raw = param.strip().partition("=")
        k = k.strip()
        if not k:
            continue
        v: object = raw.strip() if sep2 else None
        lc = k.lower()
        if lc in ("domain", "port") or (lc == "version" and v != "0") or (lc == "max-age" and v is None):
            return _FALLBACK
        if lc == "expires" and v is not None:
            v = http2time(strip_quotes(v))
        if lc in _VALUE_ATTRS or lc in _BOOLEAN_ATTRS:
            k = lc
        if k in _BOOLEAN_ATTRS and v is None:
            v = True
        if k in standard:
            continue  # only the first value counts
        if k == "expires" and (max_age_set or v is None):
            continue  # Max-Age wins; an unreadable date makes a session cookie
        if k == "max-age":
            max_age_set = True
            try:
                k, v = "expires", now + int(v)  # type: ignore[call-overload]
            except ValueError:
                return None
        if k in _VALUE_ATTRS or k in _BOOLEAN_ATTRS:
            if v is None and k != "comment" and k != "commenturl":
                return None
            standard[k] = v
        else:
            rest[k] = v
    standard.setdefault("version", "0")
    return name, (value.strip() if sep else None), standard, rest


def _host_only_cookie(jar: CookieJar, tup: tuple, netloc: str, req_path: str) -> Cookie | None:
    """http.cookiejar's `_cookie_from_cookie_tuple` for a version-0 cookie without Domain or
    Port (the policy's `set_ok` always accepts those); None when it deletes one."""
    name, value, standard, rest = tup
    path = standard.get("path")
    if path:
        path_specified, path = True, _escaped(path)
    else:
        path_specified, path = False, _request_path(req_path)
        path = path[: path.rfind("/")] or "/"
    domain = _hosts(netloc)[1]
    expires = standard.get("expires")
    if expires is not None and expires <= jar._now:  # type: ignore[attr-defined]
        try:
            jar.clear(domain, path, name)
        except KeyError:
            pass
        return None
    return Cookie(
        0,
        name,
        value,
        None,
        False,
        domain,
        False,
        False,
        path,
        path_specified,
        standard.get("secure", False),
        expires,
        True if expires is None else standard.get("discard", False),
        standard.get("comment"),
        standard.get("commenturl"),
        rest,
    )
