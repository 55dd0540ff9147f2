"""Password guessing at the user API: a lockout per login and a rate limit per client.

Without them a client could try hundreds of passwords a second. As a vendor's API does:
after `max_failures` wrong passwords in a row for one login, that login is locked for
`lockout_seconds` (even the right password is refused until then, so guessing learns nothing);
and a client (its address) that fails more than `client_failures` times within `window_seconds`,
over any logins, is slowed down. Both answer 429 with `Retry-After`. A success clears the login's
count. Counts are in memory: a restart clears them, as it would a vendor's cache node.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sp.contract.reasons import Reason, Refusal

MAX_TRACKED = 10_000  # logins and clients remembered at once: a flood of made-up names stays bounded


@dataclass
class ApiThrottle:
    max_failures: int = 5
    lockout_seconds: float = 900.0
    client_failures: int = 20
    window_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _logins: OrderedDict[str, tuple[int, float]] = field(default_factory=OrderedDict)  # failures, locked until
    _clients: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # One password check at a time (check, compare, failed/succeeded): concurrent guesses would
    # otherwise all pass `check` before the first `failed` counted, and a threaded server would
    # compare as many passwords as the attacker sends at once. A comparison takes microseconds.
    attempt: threading.Lock = field(default_factory=threading.Lock)

    def check(self, login: str, client: str) -> None:
        """Refuse (429) before the password is even compared, when the login or client is held back."""
        now = self.clock()
        with self._lock:
            _failures, until = self._logins.get(login, (0, 0.0))
            if until > now:
                raise _throttled(
                    Reason.API_LOCKED_OUT,
                    f"The login {login!r} is locked after {self.max_failures} wrong passwords; try again later.",
                    until - now,
                )
            times = self._recent(client, now)
            if len(times) >= self.client_failures:
                raise _throttled(
                    Reason.API_RATE_LIMITED,
                    f"Too many failed logins from this client ({len(times)} within {self.window_seconds:.0f} s).",
                    times[0] + self.window_seconds - now,
                )

    def failed(self, login: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            failures, until = self._logins.pop(login, (0, 0.0))
            failures = 1 if until and until <= now else failures + 1  # a lockout served starts afresh
            self._logins[login] = (failures, now + self.lockout_seconds if failures >= self.max_failures else 0.0)
            self._recent(client, now).append(now)
            _trim(self._logins)
            _trim(self._clients)

    def succeeded(self, login: str) -> None:
        with self._lock:
            self._logins.pop(login, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._clients.setdefault(client, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        self._clients.move_to_end(client)
        return times


def _trim(table: OrderedDict) -> None:
    while len(table) > MAX_TRACKED:
        table.popitem(last=False)


def _throttled(reason: Reason, message: str, wait: float) -> Refusal:
    refusal = Refusal(reason, message)
    refusal.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return refusal
