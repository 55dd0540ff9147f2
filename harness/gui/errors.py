"""Errors said in words: what a tester reads instead of a traceback."""

from __future__ import annotations

from harness.core.certs import CertError
from harness.core.workspace import WorkspaceError

EDIT_ERRORS = (WorkspaceError, CertError, ValueError, OSError)


def in_words(err: BaseException) -> str:
    """An exception as a sentence for a tester (never a traceback)."""
    text = str(err).strip()
    if isinstance(err, OSError) and err.strerror:
        text = err.strerror + (f": {err.filename}" if err.filename else "")
    if not text:
        text = type(err).__name__
    return text[0].upper() + text[1:]
