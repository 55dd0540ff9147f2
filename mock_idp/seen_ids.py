"""The IDs of LogoutRequests the mock IdP acted on, so that a captured one is acted on once.

Kept as long as the request's IssueInstant keeps it valid; bounded in number (the oldest go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

MAX_IDS = 10_000


class SeenIDs:
    def __init__(self, limit: int = MAX_IDS) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._ids: OrderedDict[str, float] = OrderedDict()  # key -> expiry, oldest first

    def first_time(self, key: str, keep: float) -> bool:
        """Record `key` for `keep` seconds; False when it was recorded already (a replay)."""
        now = time.time()
        with self._lock:
            while self._ids and next(iter(self._ids.values())) < now:
                self._ids.popitem(last=False)
            expiry = self._ids.get(key)
            if expiry is not None and expiry >= now:
                return False
            while len(self._ids) >= self._limit:
                self._ids.popitem(last=False)
            self._ids[key] = now + keep
            return True
