"""samlkit.visible: the isprintable shortcut never lets through a character the class escapes."""

from __future__ import annotations

from samlkit import visible as v


def test_the_shortcut_agrees_with_the_class_for_every_bmp_character() -> None:
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for keep in (True, False):
            pattern = v._CONTROL if keep else v._CONTROL_WITH_LINES
            assert v.visible(c, keep_lines=keep) == pattern.sub(v._escape, c), hex(cp)


def test_astral_format_characters_are_escaped() -> None:
    assert v.visible("a\U000e0041b") == "a\\U000e0041b"
