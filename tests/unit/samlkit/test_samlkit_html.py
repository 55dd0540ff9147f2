"""samlkit.html: the one escaping function of both servers' pages (and the harness's HTML)."""

from __future__ import annotations

from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.terminal import html_text
from samlkit.html import auto_post_form, esc
from samlkit.visible import visible


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


@pytest.mark.parametrize("code", range(0x100))
def test_esc_of_each_ascii_and_latin1_character_is_the_full_escaping(code: int) -> None:
    """A value with nothing to change is returned as it is: each character's escaping says what that is."""
    text = f"ab{chr(code)}cd"
    assert esc(text) == escape(visible(text), quote=True)


@given(st.one_of(st.text(alphabet="ab&<>\"'\x00\t\n\r\x1b\x7f\x85é\u202e", max_size=40), st.text(max_size=300)))
def test_esc_is_the_markup_escaping_of_the_visible_text_for_any_text(text: str) -> None:
    assert esc(text) == escape(visible(text), quote=True)
