"""A gate around WSGI app calls: the CPU-bound apps of one process run one at a time."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable


class AppGate:
    """One app call at a time in this process, the others waiting off the interpreter lock.

    The apps are CPU-bound Python: ten worker threads running them at once only trade the GIL
    back and forth (hundreds of futex hand-offs per login at 8 browsers), which costs CPU and
    gets nothing done sooner. The body is read before the gate (a slow client never holds it),
    the response is written after it, and no one waits more than `patience` for it: an app
    call that takes long, or waits on another, delays the others by that much, never blocks them.
    """

    def __init__(self, patience: float) -> None:
        self._lock = threading.Lock()
        self.patience = patience

    def wrap(self, app: Callable) -> Callable:
        lock, patience = self._lock, self.patience

        def gated(environ: dict, start_response: Callable):
            body = environ["wsgi.input"]
            has_body = environ.get("CONTENT_LENGTH") or environ.get("wsgi.input_terminated")
            if has_body and not isinstance(body, io.BytesIO):  # a chunked body is in memory already
                environ["wsgi.input"] = io.BytesIO(body.read())
            held = lock.acquire(timeout=patience)
            try:
                return app(environ, start_response)
            finally:
                if held:
                    lock.release()

        return gated


# Every embedded server of the process (SP, IdP, control API) shares it.
GATE = AppGate(patience=0.1)
