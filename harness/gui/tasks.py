"""Run engine work off the GUI thread on a QThreadPool.

A task is a plain callable. It reports back only by emitting Bridge signals (its own `done` and
`failed` callbacks are called in the worker thread and must do nothing but emit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRunnable, QThreadPool

log = logging.getLogger(__name__)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]):
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._done, self._failed = fn, done, failed

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as err:  # shown to the tester in words by `failed`
            log.debug("background task failed", exc_info=True)
            try:
                self._failed(err)
            except Exception:  # a reporting failure must not kill the worker
                log.exception("reporting a failed task failed")
            return
        try:
            self._done(result)
        except Exception:
            log.exception("reporting a finished task failed")


class Tasks:
    """A small private pool, so shutting down can wait for exactly our own work."""

    def __init__(self, max_threads: int = 4):
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)

    def start(
        self,
        fn: Callable[[], Any],
        *,
        done: Callable[[Any], None] = lambda _r: None,
        failed: Callable[[Exception], None] = lambda _e: None,
    ) -> None:
        self.pool.start(_Task(fn, done, failed))

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
