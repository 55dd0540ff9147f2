"""Write a trace as a HAR 1.2 file, so any HAR viewer (or another harness) can open it.

Each step becomes an entry; a message the browser carried goes back where it travelled (the
query string, or a form body), one the server answered with goes into the Location or into
an auto-post page, so importing the HAR gives the same steps again.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from harness.core.safe_url import urlsplit
from harness.core.trace import Step, Trace

CREATOR = {"name": "saml-harness", "version": "0.1.0"}


def trace_to_har(trace: Trace) -> dict[str, Any]:
    return {"log": {"version": "1.2", "creator": CREATOR, "pages": [], "entries": [_entry(s) for s in trace.steps]}}


def _entry(step: Step) -> dict[str, Any]:
    started = datetime.fromtimestamp(step.time or 0, UTC).isoformat().replace("+00:00", "Z")
    return {
        "startedDateTime": started,
        "time": 0,
        "request": _request(step),
        "response": _response(step),
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    }


def _direction(step: Step) -> str:
    """Traces saved before messages knew their direction: the arrow's label still tells."""
    m = step.message
    if m is None:
        return ""
    return m.direction or ("send" if " → " in step.label else "recv")


def _carried_in_body(step: Step) -> bool:
    m = step.message
    return bool(m and _direction(step) == "recv" and step.method == "POST" and m.param and m.raw)


def _request(step: Step) -> dict[str, Any]:
    query = [{"name": k, "value": v} for k, v in _query_pairs(step.url)]
    out: dict[str, Any] = {
        "method": step.method or "GET",
        "url": step.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [],
        "queryString": query,
        "headersSize": -1,
        "bodySize": -1,
    }
    if _carried_in_body(step):
        m = step.message
        fields = [(m.param, m.raw)] + ([("RelayState", m.relay_state)] if m.relay_state is not None else [])
        text = urlencode(fields)
        out["postData"] = {
            "mimeType": "application/x-www-form-urlencoded",
            "text": text,
            "params": [{"name": k, "value": v} for k, v in fields],
        }
        out["bodySize"] = len(text)
    return out


def _response(step: Step) -> dict[str, Any]:
    headers = dict(step.headers)
    if step.location and not any(k.lower() == "location" for k in headers):
        headers["Location"] = step.location
    content: dict[str, Any] = {"size": 0, "mimeType": headers.get("Content-Type", "")}
    m = step.message
    if m is not None and m.param and _direction(step) == "send" and not step.location:
        page = _auto_post_page(step)
        content.update(size=len(page), mimeType="text/html; charset=utf-8", text=page)
    return {
        "status": step.status,
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in headers.items()],
        "content": content,
        "redirectURL": step.location or "",
        "headersSize": -1,
        "bodySize": -1,
    }


def _auto_post_page(step: Step) -> str:
    m = step.message
    assert m is not None
    action = m.summary.destination or ""
    inputs = [f'<input type="hidden" name="{html.escape(m.param)}" value="{html.escape(m.raw)}">']
    if m.relay_state is not None:
        inputs.append(f'<input type="hidden" name="RelayState" value="{html.escape(m.relay_state)}">')
    return (
        f'<!doctype html><html><body><form method="post" action="{html.escape(action)}">'
        + "".join(inputs)
        + "</form></body></html>"
    )


def _query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)
