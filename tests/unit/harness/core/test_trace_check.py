"""A trace file from elsewhere is checked field by field before anything renders it."""

from __future__ import annotations

import json

import pytest

from harness.core.report import render_html
from harness.core.trace import Check, Message, MessageSummary, SignatureInfo, Step, Trace
from harness.core.trace_check import MAX_TEXT, TraceFileError

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _good() -> dict:
    msg = Message(
        param="SAMLResponse",
        raw="UEhO",
        summary=MessageSummary(kind="Response", audiences=["sp"], attributes={"mail": ["a@b"]}),
        signatures=[SignatureInfo(element="Assertion", digest_ok=True)],
    )
    step = Step(index=1, time=1.0, src="browser", dst="sp", status=303, message=msg, checks=[Check("x", True)])
    return Trace(title="t", steps=[step]).to_dict()


def test_a_good_trace_round_trips():
    data = _good()
    assert Trace.from_json(json.dumps(data)).to_dict() == data


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("steps", 0, "index"), MARKUP, "steps[0].index: expected a whole number, got text"),
        (("steps", 0, "status"), [303], "steps[0].status: expected a whole number, got a list"),
        (("steps", 0, "status"), True, "expected a whole number, got true/false"),
        (("steps", 0, "verdict"), MARKUP, "steps[0].verdict"),
        (("steps", 0, "src"), "evil", "steps[0].src"),
        (("steps", 0, "time"), 1e300, "expected a time in seconds"),
        (("steps", 0, "headers"), {"X": 1}, "steps[0].headers['X']: expected text"),
        (("steps", 0, "message", "summary", "audiences"), "sp", "audiences: expected a list"),
        (("steps", 0, "message", "summary", "attributes"), {"mail": "a"}, "attributes['mail']: expected a list"),
        (("steps", 0, "message", "signatures", 0, "digest_ok"), "yes", "digest_ok: expected true or false"),
        (("steps", 0, "checks", 0), "ok", "checks[0]: expected an object, got text"),
        (("steps", 0, "message"), [], "steps[0].message: expected an object"),
        (("title",), {"a": 1}, "trace.title: expected text, got an object"),
        (("started",), "now", "trace.started"),
        (("steps", 0, "label"), "x" * (MAX_TEXT + 1), "longer than"),
    ],
)
def test_a_bad_field_is_a_clear_error_naming_it(path, value, words):
    data = _good()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(TraceFileError) as err:
        Trace.from_json(json.dumps(data))
    assert words in str(err.value)


@pytest.mark.parametrize("text", ["[]", "{}", "1", '"x"', "{not json", "[" * 100_000])
def test_not_a_trace_at_all(text):
    with pytest.raises(TraceFileError, match="not a trace file"):
        Trace.from_json(text)


def test_every_field_of_a_loaded_trace_is_escaped_in_the_report():
    """Every text field set to markup: the report shows it, runs none of it, loads nothing."""
    data = _good()

    def taint(value):
        if isinstance(value, dict):
            return {
                k: (v if k in ("verdict", "src", "dst") and isinstance(v, str) else taint(v)) for k, v in value.items()
            }
        if isinstance(value, list):
            return [taint(v) for v in value]
        return value + MARKUP if isinstance(value, str) else value

    data = taint(data)
    data["steps"][0]["message"]["signatures"][0]["verdict"] = MARKUP
    data["steps"][0]["headers"] = {MARKUP: MARKUP}
    page = render_html(Trace.from_json(json.dumps(data)))
    assert (
        "<script" not in page
        and "<img" not in page
        and "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    head = page.split("</head>")[0]
    assert 'http-equiv="Content-Security-Policy"' in head and "default-src 'none'" in head
    assert head.index("Content-Security-Policy") < head.index("<title>")
