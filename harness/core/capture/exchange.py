"""One HTTP exchange as a browser capture recorded it, whatever the capture's format."""

from __future__ import annotations

from dataclasses import dataclass, field


class CaptureError(ValueError):
    """A capture that cannot be read; the text says why, in words a tester can act on."""


@dataclass
class Exchange:
    method: str
    url: str
    status: int = 0
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    form: list[tuple[str, str]] = field(default_factory=list)  # a POST body's fields, decoded
    response_text: str = ""  # the response body when the capture kept it (the IdP's auto-post page)
    time: float = 0.0

    @property
    def location(self) -> str | None:
        return header(self.response_headers, "Location")


def header(headers: dict[str, str], name: str) -> str | None:
    """Header lookup without regard to case: captures spell names as the browser saw them."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None
