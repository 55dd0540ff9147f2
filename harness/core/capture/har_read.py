"""Read a HAR 1.2 file (Chromium, Firefox, Safari DevTools, Playwright's record_har) into exchanges.

Every field is type-checked: a HAR is somebody else's file. Only what can carry a SAML message
is kept (URL, form body, Location, an HTML page that posts a form); other bodies are dropped
unread, so a 50 MB capture of a whole session costs one JSON parse and a scan.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from harness.core.capture.exchange import CaptureError, Exchange
from harness.core.capture.limits import MAX_ENTRIES, MAX_FORM_FIELDS, MAX_HEADERS, MAX_TEXT_CHARS

_SAML_MARKERS = ("samlrequest", "samlresponse")


def is_har(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("log"), dict) and "entries" in data["log"]


def read_har(data: Any) -> list[Exchange]:
    if not is_har(data):
        raise CaptureError("Not a HAR file: it has no log.entries.")
    entries = data["log"]["entries"]
    if not isinstance(entries, list):
        raise CaptureError("Not a HAR file: log.entries is not a list.")
    if len(entries) > MAX_ENTRIES:
        raise CaptureError(f"The HAR has {len(entries)} entries, over the limit of {MAX_ENTRIES}.")
    return [_entry(e, n) for n, e in enumerate(entries, 1)]


def _entry(entry: Any, n: int) -> Exchange:
    if not isinstance(entry, dict):
        raise CaptureError(f"HAR entry {n} is not an object.")
    request, response = entry.get("request"), entry.get("response") or {}
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise CaptureError(f"HAR entry {n} has no request object.")
    method, url = _text(request.get("method"), n, "method"), _text(request.get("url"), n, "url")
    if not method or not url:
        raise CaptureError(f"HAR entry {n} has no method or URL.")
    status = response.get("status", 0)
    if not isinstance(status, int) or isinstance(status, bool):
        raise CaptureError(f"HAR entry {n}: the response status is not a number.")
    request_headers = _headers(request.get("headers"), n)
    response_headers = _headers(response.get("headers"), n)
    redirect = response.get("redirectURL")
    if isinstance(redirect, str) and redirect and not any(k.lower() == "location" for k in response_headers):
        response_headers["Location"] = _text(redirect, n, "redirectURL")
    return Exchange(
        method=method.upper(),
        url=url,
        status=status,
        request_headers=request_headers,
        response_headers=response_headers,
        form=_form(request.get("postData"), n),
        response_text=_page(response.get("content"), n),
        time=_time(entry.get("startedDateTime")),
    )


def _text(value: Any, n: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CaptureError(f"HAR entry {n}: {what} is not text.")
    if len(value) > MAX_TEXT_CHARS:
        raise CaptureError(f"HAR entry {n}: {what} is {len(value)} characters, over the limit of {MAX_TEXT_CHARS}.")
    return value


def _headers(value: Any, n: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list) or len(value) > MAX_HEADERS:
        raise CaptureError(f"HAR entry {n}: the headers are not a list of at most {MAX_HEADERS}.")
    out: dict[str, str] = {}
    for h in value:
        if not isinstance(h, dict):
            raise CaptureError(f"HAR entry {n}: a header is not an object.")
        name, val = _text(h.get("name"), n, "a header name"), _text(h.get("value"), n, "a header value")
        if name and not name.startswith(":"):  # HTTP/2 pseudo-headers say nothing new
            out[name] = val
    return out


def _form(post: Any, n: int) -> list[tuple[str, str]]:
    if not isinstance(post, dict):
        return []
    mime = post.get("mimeType") if isinstance(post.get("mimeType"), str) else ""
    text = _text(post.get("text"), n, "the request body")
    if (text and "x-www-form-urlencoded" in mime.lower()) or (text and not mime and "=" in text):
        fields = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        return fields
    params = post.get("params")
    if isinstance(params, list) and params:
        if len(params) > MAX_FORM_FIELDS:
            raise CaptureError(f"HAR entry {n}: the form has more than {MAX_FORM_FIELDS} fields.")
        return [
            (_text(p.get("name"), n, "a form field"), _text(p.get("value"), n, "a form value"))
            for p in params
            if isinstance(p, dict)
        ]
    return []


def _page(content: Any, n: int) -> str:
    """The response body, kept only when it may hold a SAML form (an IdP's auto-post page)."""
    if not isinstance(content, dict):
        return ""
    text = content.get("text")
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT_CHARS:
        return ""
    if content.get("encoding") == "base64":
        if len(text) > MAX_TEXT_CHARS:
            return ""
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    lowered = text[:MAX_TEXT_CHARS].lower()
    return text if any(m in lowered for m in _SAML_MARKERS) else ""


def _time(value: Any) -> float:
    if not isinstance(value, str):
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
