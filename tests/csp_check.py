"""Check an HTML page against its own Content-Security-Policy, as a browser would enforce it.

Only the directives the servers use, read strictly: everything the page runs, styles, frames or
posts must be allowed by name (a hash or an origin), nothing loads from elsewhere, and the page
says where it may be framed (nowhere, its own server, or one origin: an SP's SLO answer in the
IdP's logout page). A tester's mistake (a new inline script, a style attribute, a frame of an SP
the policy forgot) fails here before it fails silently in a browser.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from samlkit.csp import source_hash

_ONE_ORIGIN = re.compile(r"https?://[a-z0-9.\-]+(:[0-9]+)?|https?://\[[0-9a-f:.]+\](:[0-9]+)?")  # an SLO page's IdP
LOADING_TAGS = ("img", "link", "object", "embed", "audio", "video", "source", "track", "base")


def directives(header: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in found, f"{words[0]} given twice in {header!r}"
            found[words[0]] = words[1:]
    return found


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def allows(sources: list[str], url: str, page_url: str) -> bool:
    """Whether a source list (of 'self', 'none' and origins) allows `url` for a page at `page_url`."""
    if sources == ["'none'"]:
        return False
    return ("'self'" in sources and _origin(url) == _origin(page_url)) or _origin(url) in sources


def check_page(text: str, header: str | None, page_url: str) -> dict[str, list[str]]:
    """Assert that `text`, served at `page_url` with the CSP `header`, needs nothing the policy
    refuses and that the policy is strict; returns the parsed directives."""
    assert header, f"no Content-Security-Policy on the page at {page_url}"
    d = directives(header)
    assert d.get("default-src") == ["'none'"] and d.get("base-uri") == ["'none'"], header
    ancestors = d.get("frame-ancestors") or []
    one_origin = len(ancestors) == 1 and _ONE_ORIGIN.fullmatch(ancestors[0]) is not None
    assert ancestors in (["'none'"], ["'self'"]) or one_origin, header
    assert not any("unsafe" in s or s == "*" or s.endswith(":") for v in d.values() for s in v), header
    doc = lxml_html.document_fromstring(text)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in LOADING_TAGS, f"<{el.tag}> would load nothing under default-src 'none'"
        assert not any(a.startswith("on") or a == "style" for a in el.attrib), f"<{el.tag} {dict(el.attrib)}>"
    for script in doc.iter("script"):
        assert "src" not in script.attrib, "an external script"
        assert source_hash(script.text or "") in d.get("script-src", []), f"script not allowed: {script.text!r}"
    for style in doc.iter("style"):
        assert source_hash(style.text or "") in d.get("style-src", []), "the page's <style> is not allowed"
    for form in doc.iter("form"):
        if "form-action" in d:
            target = urljoin(page_url, form.get("action") or page_url)
            assert allows(d["form-action"], target, page_url), f"form to {target} refused by {header!r}"
    for frame in doc.iter("iframe"):
        target = urljoin(page_url, frame.get("src") or "")
        assert allows(d.get("frame-src", []), target, page_url), f"frame of {target} refused by {header!r}"
    return d


def check_every_page(monkeypatch: Any, app_class: type) -> None:
    """Every HTML page `app_class` (a WSGI app class) serves from now on is checked against the
    Content-Security-Policy it carries (`check_page`): the unit tests' conftests use it."""
    from werkzeug.wrappers import Response

    served = app_class.__call__

    def checked(self: Any, environ: dict, start_response: Any) -> Any:
        response = Response.from_app(lambda e, s: served(self, e, s), environ)
        if response.mimetype == "text/html":
            url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{environ.get('PATH_INFO', '')}"
            check_page(response.get_data(as_text=True), response.headers.get("Content-Security-Policy"), url)
        return response(environ, start_response)

    monkeypatch.setattr(app_class, "__call__", checked)
