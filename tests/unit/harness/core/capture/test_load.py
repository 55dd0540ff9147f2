"""Reading captures: both formats, and every hostile file refused in words."""

from __future__ import annotations

import base64
import json

import pytest

from harness.core.capture.exchange import CaptureError
from harness.core.capture.load import looks_like_capture, read_capture
from harness.core.capture.to_trace import capture_to_trace

AUTHN = (
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
    'IssueInstant="2026-01-01T00:00:00Z" Destination="https://idp.example/sso">'
    "<saml:Issuer>https://sp.example</saml:Issuer></samlp:AuthnRequest>"
)


def _b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def _har(entries):
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


def _entry(method, url, *, status=200, post=None, headers=(), content=None):
    e = {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"method": method, "url": url, "headers": []},
        "response": {"status": status, "headers": [{"name": k, "value": v} for k, v in headers]},
    }
    if post is not None:
        e["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded", "text": post}
    if content is not None:
        e["response"]["content"] = content
    return e


def test_saml_tracer_export_is_read(tmp_path):
    export = {
        "requests": [
            {
                "requestId": "1",
                "method": "POST",
                "url": "https://idp.example/sso",
                "requestHeaders": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
                "post": [["SAMLRequest", _b64(AUTHN)], ["RelayState", "<b>x</b>"]],
                "saml": "<ignored/>",
                "responseStatus": 200,
                "responseHeaders": [["Content-Type", "text/html"]],  # the legacy pair form
            }
        ],
        "timestamp": "2026-01-01T00:00:00Z",
    }
    data = json.dumps(export).encode()
    assert looks_like_capture(data)
    capture = read_capture(data)
    assert capture.format == "SAML-tracer"
    trace = capture_to_trace(capture)
    (step,) = trace.steps
    assert step.dst == "idp" and step.message.summary.kind == "AuthnRequest"
    assert step.message.relay_state == "<b>x</b>"  # kept as data, never interpreted


def test_har_base64_page_and_redirect_url():
    page = f'<html><form method="post"><input name="SAMLRequest" value="{_b64(AUTHN)}"></form></html>'
    har = _har(
        [
            _entry(
                "GET", "https://sp.example/login", status=302, headers=[], content={"text": "", "mimeType": "text/html"}
            ),
            _entry(
                "GET",
                "https://sp.example/go",
                status=200,
                content={
                    "text": base64.b64encode(page.encode()).decode(),
                    "encoding": "base64",
                    "mimeType": "text/html",
                },
            ),
        ]
    )
    trace = capture_to_trace(read_capture(har))
    assert [s.dst for s in trace.steps] == ["sp", "sp"]
    assert trace.steps[1].message.summary.kind == "AuthnRequest"
    assert trace.steps[1].message.direction == "send"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"log": {"entries": [', "not JSON"),
        (b'{"log": {"entries": 5}}', "not a list"),
        (b'{"log": {"entries": [5]}}', "not an object"),
        (b'{"log": {"entries": [{"request": {"method": 1, "url": "x"}}]}}', "not text"),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "http://a/"}, "response": {"status": "x"}}]}}',
            "not a number",
        ),
        (b'{"requests": [{"method": "GET", "url": "http://a/", "post": [[1]]}]}', "pair"),
        (b'{"other": 1}', "neither a HAR"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        (_har([_entry("GET", "https://a.example/")]), "no SAML message"),
    ],
)
def test_hostile_or_wrong_files_are_refused_in_words(data, words):
    with pytest.raises(CaptureError) as err:
        capture_to_trace(read_capture(data))
    assert words in str(err.value)


@pytest.mark.parametrize(
    "xml",
    [
        '<!DOCTYPE x [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>',
        "<a>" * 5000 + "</a>" * 5000,
        "\udcff<not-utf8",
    ],
)
def test_hostile_messages_inside_a_capture_become_step_errors(xml):
    value = base64.b64encode(xml.encode("utf-8", "surrogateescape")).decode()
    har = _har(
        [
            _entry("GET", "https://sp.example/login?SAMLRequest=" + _b64(AUTHN).replace("+", "%2B"), status=302),
            _entry("POST", "https://sp.example/acs", post="SAMLResponse=" + value.replace("+", "%2B"), status=400),
        ]
    )
    trace = capture_to_trace(read_capture(har))
    assert trace.steps[-1].message is not None and trace.steps[-1].message.error


def test_markup_and_control_characters_stay_data():
    hostile = "https://idp.example/sso?RelayState=%1b%5b2J<script>alert(1)</script>&SAMLRequest="
    har = _har([_entry("GET", hostile + _b64(AUTHN).replace("+", "%2B").replace("/", "%2F"))])
    (step,) = capture_to_trace(read_capture(har)).steps
    assert step.message.relay_state == "\x1b[2J<script>alert(1)</script>"  # data; renderers escape it


def test_a_capture_whose_only_message_is_unreadable_still_shows_it():
    """ESC is not allowed in XML: the message cannot be read, but its parameter names the IdP."""
    bad = _b64(AUTHN.replace("https://sp.example", "\x1b[2Jsp"))
    har = _har([_entry("POST", "https://idp.example/sso", post="SAMLRequest=" + bad.replace("+", "%2B"))])
    (step,) = capture_to_trace(read_capture(har)).steps
    assert step.dst == "idp" and step.message.param == "SAMLRequest" and "not well-formed" in step.message.error
