"""Read a SAML-tracer export (the browser extension's JSON) into exchanges.

The format: `{"requests": [{method, url, requestHeaders, post: [[name, value]...], get, saml,
responseStatus, responseHeaders}...]}`; headers are `{name, value}` objects, or `[name, value]`
pairs in exports older than SAML-tracer 1.0. The decoded `saml` field is ignored: the harness
decodes the parameters itself rather than trust another tool's reading.
"""

from __future__ import annotations

from typing import Any

from harness.core.capture.exchange import CaptureError, Exchange
from harness.core.capture.limits import MAX_ENTRIES, MAX_FORM_FIELDS, MAX_HEADERS, MAX_TEXT_CHARS


def is_saml_tracer(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("requests"), list)


def read_saml_tracer(data: Any) -> list[Exchange]:
    if not is_saml_tracer(data):
        raise CaptureError("Not a SAML-tracer export: it has no list of requests.")
    requests = data["requests"]
    if len(requests) > MAX_ENTRIES:
        raise CaptureError(f"The export has {len(requests)} requests, over the limit of {MAX_ENTRIES}.")
    return [_request(r, n) for n, r in enumerate(requests, 1)]


def _request(r: Any, n: int) -> Exchange:
    if not isinstance(r, dict):
        raise CaptureError(f"Request {n} of the export is not an object.")
    method, url = _text(r.get("method"), n, "method"), _text(r.get("url"), n, "url")
    if not method or not url:
        raise CaptureError(f"Request {n} of the export has no method or URL.")
    status = r.get("responseStatus") or 0
    if not isinstance(status, int) or isinstance(status, bool):
        status = int(status) if isinstance(status, str) and status.isdigit() else 0
    stamp = r.get("timeStamp")
    return Exchange(
        method=method.upper(),
        url=url,
        status=status,
        request_headers=_headers(r.get("requestHeaders"), n),
        response_headers=_headers(r.get("responseHeaders"), n),
        form=_pairs(r.get("post"), n),
        time=float(stamp) / 1000 if isinstance(stamp, int | float) and not isinstance(stamp, bool) else 0.0,
    )


def _text(value: Any, n: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CaptureError(f"Request {n} of the export: {what} is not text.")
    if len(value) > MAX_TEXT_CHARS:
        raise CaptureError(f"Request {n} of the export: {what} is over the limit of {MAX_TEXT_CHARS} characters.")
    return value


def _headers(value: Any, n: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list) or len(value) > MAX_HEADERS:
        raise CaptureError(f"Request {n} of the export: the headers are not a list of at most {MAX_HEADERS}.")
    out: dict[str, str] = {}
    for h in value:
        if isinstance(h, dict):
            name, val = h.get("name"), h.get("value")
        elif isinstance(h, list) and len(h) == 2:
            name, val = h
        else:
            raise CaptureError(f"Request {n} of the export: a header is neither an object nor a pair.")
        out[_text(name, n, "a header name")] = _text(val, n, "a header value")
    return out


def _pairs(value: Any, n: int) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    if len(value) > MAX_FORM_FIELDS:
        raise CaptureError(f"Request {n} of the export: the form has more than {MAX_FORM_FIELDS} fields.")
    out = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise CaptureError(f"Request {n} of the export: a form field is not a [name, value] pair.")
        out.append((_text(pair[0], n, "a form field"), _text(pair[1], n, "a form value")))
    return out
