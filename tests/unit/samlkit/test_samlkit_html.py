"""samlkit.html: the one escaping function of both servers' pages (and the harness's HTML)."""

from __future__ import annotations

import pytest

from harness.core.terminal import html_text
from samlkit.html import auto_post_form, esc


def test_markup_and_quotes_are_escaped() -> None:
    assert esc('<a href="x">\'&') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x00", "\\x00"),
        ("\x1b", "\\x1b"),
        ("\r", "\\x0d"),
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),
        ("\x9b", "\\x9b"),
        ("\u202e", "\\u202e"),
        ("\u2028", "\\u2028"),
        ("\ufeff", "\\ufeff"),
    ],
)
def test_control_and_direction_characters_are_shown_as_escapes(raw: str, shown: str) -> None:
    assert esc(f"a{raw}b") == f"a{shown}b"


def test_newlines_tabs_and_printable_unicode_pass_unchanged() -> None:
    text = "line one\n\tJürgen Ωmega 名前 ✔ → — é 👩"
    assert esc(text) == text


def test_the_harness_escapes_html_with_the_same_function() -> None:
    value = "<b>\x1b[31m\u202eevil\r\n"
    assert html_text(value) == esc(value)


def test_an_auto_post_form_carries_plain_values_unchanged() -> None:
    value = "PHNhbWxwOlJlc3BvbnNlIC8+" * 100 + "=="
    html = auto_post_form("https://sp/acs", {"SAMLResponse": value, "RelayState": "/a?b=c&d=\te"})
    assert f'value="{value}"' in html and 'value="/a?b=c&amp;d=\te"' in html


def test_only_framed_by_names_the_origin_and_keeps_x_frame_options() -> None:
    from samlkit.html import only_framed_by

    headers = {"X-Frame-Options": "DENY"}
    only_framed_by(headers, "https://idp.example:8443/slo?x=1")
    assert headers == {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors https://idp.example:8443"}
    for junk in ("", "javascript:alert(1)", "/relative", "data:text/html,x"):
        headers = {"X-Frame-Options": "DENY"}
        only_framed_by(headers, junk)
        assert headers == {"X-Frame-Options": "DENY"}


def test_only_framed_by_allows_exactly_one_origin_whatever_the_url_smuggles() -> None:
    """The IdP's SLO URL comes from its metadata or a tester's typing: spaces, `;`, `,`, quotes or
    userinfo in its authority must not add sources (`*`) or directives to frame-ancestors."""
    from samlkit.html import only_framed_by

    def csp(url: str) -> str | None:
        headers: dict[str, str] = {}
        only_framed_by(headers, url)
        return headers.get("Content-Security-Policy")

    assert csp("https://attacker.example@IDP.Example/slo") == "frame-ancestors https://idp.example"
    assert csp("http://[::1]:8080/slo") == "frame-ancestors http://[::1]:8080"
    assert csp("HTTP://127.0.0.1:5000/slo") == "frame-ancestors http://127.0.0.1:5000"
    for smuggled in (
        "https://idp.example */slo",
        "https://idp.example,*/slo",
        "https://idp.example;frame-ancestors */slo",
        "https://idp.example'unsafe-inline'/slo",
        "https://idp.example:99999/slo",
        "https://idp.example:8o/slo",
    ):
        assert csp(smuggled) is None, smuggled  # no frame-ancestors: X-Frame-Options DENY holds
