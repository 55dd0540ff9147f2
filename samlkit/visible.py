"""Hostile text made visible: every control and direction-changing character replaced by an
escape a reader can see (`\\x1b`, `\\u202e`).

Messages, request paths, SP headers and traces are hostile: an ESC can clear a terminal or draw
an OSC 8 link, a carriage return can overwrite a NameID, a NUL can cut a value short for the
next parser, a bidi override can reverse what a line seems to say. One definition serves the
terminal, the GUI and both servers' HTML pages (samlkit.html.esc).
"""

from __future__ import annotations

import re
import unicodedata

# Astral-plane format characters (Unicode 15): hieroglyph and shorthand format controls, musical
# symbol formatting, language tags. The Basic Multilingual Plane is scanned below.
_ASTRAL_FORMAT = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)


def _bmp_class() -> str:
    """Every BMP control (Cc: C0, DEL, C1), format (Cf: bidi embeddings, overrides, isolates and
    marks, zero-width characters, soft hyphen, BOM ...) and line/paragraph separator (Zl, Zp)."""
    out = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp") and not 0xD800 <= cp <= 0xDFFF:
            out.append(re.escape(chr(cp)))
    return "".join(out)


_ALL = _bmp_class() + _ASTRAL_FORMAT
_CONTROL = re.compile("[" + _ALL.replace(re.escape("\n"), "").replace(re.escape("\t"), "") + "]")
_CONTROL_WITH_LINES = re.compile("[" + _ALL + "]")


def _escape(match: re.Match[str]) -> str:
    c = ord(match.group())
    if c < 0x100:
        return f"\\x{c:02x}"
    return f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def visible(text: str, *, keep_lines: bool = True) -> str:
    """`text` with control and format characters escaped; newlines and tabs kept when
    `keep_lines` (whole output), escaped too when not (one field that must stay on its line).
    A carriage return is always escaped: it overwrites a terminal line, and HTML reads it as a
    newline anyway."""
    if text.isprintable():  # none of them (str.isprintable is False for Cc, Cf, Zl, Zp): C speed
        return text
    pattern = _CONTROL if keep_lines else _CONTROL_WITH_LINES
    return pattern.sub(_escape, text)
