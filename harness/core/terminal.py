"""Text for a terminal: every control and direction-changing character made visible.

Messages, SP headers and traces are hostile: an ESC can clear the screen or draw an OSC 8 link, a
carriage return can overwrite a NameID, a bidi override can reverse what a line seems to say.
`visible` replaces each such character with an escape the tester can read (`\\x1b`, `\\u202e`);
`VisibleWriter` applies it to a whole stream (human output; `--json` is written untouched).
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 (but tab and newline), DEL, C1; bidi embeddings/overrides/isolates and marks; zero-width and
# other invisible format characters; line/paragraph separators; the BOM; interlinear annotations.
_FORMAT = "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]")
_CONTROL_WITH_LINES = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}]")


def _escape(match: re.Match[str]) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


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
