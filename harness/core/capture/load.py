"""Open a capture file of either format: the one entry point for the CLI and the app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.core.capture.exchange import CaptureError, Exchange
from harness.core.capture.har_read import is_har, read_har
from harness.core.capture.limits import MAX_FILE_BYTES
from harness.core.capture.tracer_read import is_saml_tracer, read_saml_tracer


@dataclass
class Capture:
    format: str  # "HAR" | "SAML-tracer"
    exchanges: list[Exchange]


def looks_like_capture(data: bytes) -> bool:
    """A cheap sniff for `decode`: JSON whose top level names a HAR log or SAML-tracer requests."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and (b'"log"' in head or b'"requests"' in head)


def read_capture(data: bytes) -> Capture:
    if len(data) > MAX_FILE_BYTES:
        raise CaptureError(f"The capture is {len(data)} bytes, over the limit of {MAX_FILE_BYTES}.")
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise CaptureError(f"The capture is not UTF-8 text ({err.reason} at byte {err.start}).") from None
    except json.JSONDecodeError as err:
        raise CaptureError(f"The capture is not JSON ({err.msg}, line {err.lineno}).") from None
    except RecursionError:
        raise CaptureError("The capture nests too deeply to be a HAR or SAML-tracer file.") from None
    if is_har(parsed):
        return Capture("HAR", read_har(parsed))
    if is_saml_tracer(parsed):
        return Capture("SAML-tracer", read_saml_tracer(parsed))
    raise CaptureError("The file is JSON but neither a HAR (log.entries) nor a SAML-tracer export (requests).")


def load_capture(path: str | Path) -> Capture:
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise CaptureError(f"The capture is {size} bytes, over the limit of {MAX_FILE_BYTES}.")
        data = Path(path).read_bytes()
    except OSError as err:
        raise CaptureError(f"Cannot read the capture: {err.strerror or err}.") from None
    return read_capture(data)
