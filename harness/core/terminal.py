"""Text for a terminal: every control and direction-changing character made visible.

Messages, SP headers and traces are hostile: an ESC can clear the screen or draw an OSC 8 link, a
carriage return can overwrite a NameID, a bidi override can reverse what a line seems to say.
`visible` (samlkit.visible, shared with the servers' pages) replaces each such character with an
escape the tester can read (`\\x1b`, `\\u202e`); `VisibleWriter` applies it to a whole stream
(human output; `--json` is written untouched).
"""

from __future__ import annotations

from typing import TextIO

from samlkit.html import esc
from samlkit.visible import visible

__all__ = ["VisibleWriter", "field", "html_text", "visible"]


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
    as in a terminal, then escaped, so a page neither runs markup nor reorders or hides text. The
    servers' pages escape with the same function."""
    return esc(value)
