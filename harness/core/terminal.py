"""Text for a terminal: every control and direction-changing character made visible.

Messages, SP headers and traces are hostile: an ESC can clear the screen or draw an OSC 8 link, a
carriage return can overwrite a NameID, a bidi override can reverse what a line seems to say.
`visible` replaces each such character with an escape the tester can read (`\\x1b`, `\\u202e`);
`VisibleWriter` applies it to a whole stream (human output; `--json` is written untouched).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import TextIO

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
    `keep_lines` (whole output), escaped too when not (one field that must stay on its line)."""
    pattern = _CONTROL if keep_lines else _CONTROL_WITH_LINES
    return pattern.sub(_escape, text)


def field(value: object) -> str:
    """One message-derived value inside a line: nothing in it may start a new line."""
    return visible(str(value), keep_lines=False)


class VisibleWriter:
    """A text stream that writes everything through `visible` (see module doc)."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def html_text(value: object) -> str:
    """`value` for HTML (a report, Qt's rich text): control and direction characters made visible
    as in a terminal, then escaped, so a page neither runs markup nor reorders or hides text."""
    return html.escape(visible(str(value)))
