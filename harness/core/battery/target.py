"""The SP under test, as the battery sees it from outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class BatteryError(Exception):
    """The battery cannot run against this target (in words for a tester)."""


@dataclass
class Target:
    """The SP under test, as the battery sees it from outside."""

    acs_url: str
    entity_id: str
    login_url: str | None = None  # GET starts an SP-initiated login (answers with an AuthnRequest)
    session_url: str | None = None  # GET with the browser's cookies: 2xx means a session is open
    whoami_json: bool = False  # session_url answers {"authenticated": ..., "login": ...}
    unsolicited_allowed: bool | None = None  # None: unknown
    victim_logins: tuple[str, ...] = ()  # the SP accounts the victim maps to, when known
    set_unsolicited: Callable[[bool], None] | None = field(default=None, repr=False)  # embedded only
    name: str = ""
    timeout: float = 15.0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "acs_url": self.acs_url,
            "entity_id": self.entity_id,
            "login_url": self.login_url,
            "session_url": self.session_url,
            "unsolicited_allowed": self.unsolicited_allowed,
        }
