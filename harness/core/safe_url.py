"""`urlsplit` for URLs that come from traces, captures and messages: it never raises.

The standard one raises ValueError on text such as "a://[" (an unclosed IPv6 bracket); a hostile
trace file or capture must not turn a report or a view into a traceback. What cannot be split
is kept whole as the path, so it is still shown (as plain, escaped text).
"""

from __future__ import annotations

from urllib.parse import SplitResult
from urllib.parse import urlsplit as _urlsplit


def urlsplit(url: str) -> SplitResult:
    try:
        return _urlsplit(url)
    except ValueError:
        return SplitResult("", "", url, "", "")
