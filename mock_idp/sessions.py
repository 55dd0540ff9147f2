"""The mock IdP's session registry: who is signed in, and which SPs it issued a session to.

Single Logout needs, per IdP session, each SP's NameID and SessionIndex as the Assertion gave
them, so that a LogoutRequest can name the same session (SAML core §3.7.1, profiles §4.4).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

MAX_SESSIONS = 10_000  # live sessions kept; past it the oldest ends


@dataclass
class Participant:
    """One SP this IdP session signed the user in to."""

    sp_entity_id: str
    name_id: str
    name_id_format: str
    session_index: str


@dataclass
class IdPSession:
    username: str
    expires: float
    participants: dict[str, Participant] = field(default_factory=dict)  # by SP entityID, in issue order


class SessionRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, IdPSession] = {}

    def create(self, username: str, lifetime: float) -> str:
        token = secrets.token_urlsafe(24)
        now = time.time()
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions = {k: v for k, v in self._sessions.items() if v.expires > now}
            while len(self._sessions) >= MAX_SESSIONS:  # all live: the oldest sign-in goes
                del self._sessions[next(iter(self._sessions))]
            self._sessions[token] = IdPSession(username, now + lifetime)
        return token

    def get(self, token: str | None) -> IdPSession | None:
        if not token:
            return None
        with self._lock:
            s = self._sessions.get(token)
        return s if s is not None and s.expires >= time.time() else None

    def add_participant(self, token: str, participant: Participant) -> None:
        with self._lock:
            s = self._sessions.get(token)
            if s is not None:
                s.participants.pop(participant.sp_entity_id, None)  # re-issued: the newest session counts
                s.participants[participant.sp_entity_id] = participant

    def find(self, sp_entity_id: str, name_id: str, session_indexes: list[str]) -> tuple[str, IdPSession] | None:
        """The live session in which `sp_entity_id` was issued exactly this NameID with one of these
        SessionIndexes (a LogoutRequest that came without the session cookie names its session so).
        Without a SessionIndex nothing is found: a NameID alone is no one browser's session."""
        if not session_indexes:
            return None
        now = time.time()
        with self._lock:
            for token, s in self._sessions.items():
                p = s.participants.get(sp_entity_id)
                if p is not None and s.expires >= now and p.name_id == name_id and p.session_index in session_indexes:
                    return token, s
        return None

    def end(self, token: str | None) -> IdPSession | None:
        """Remove the session; returns what it was (with its participants) or None."""
        if not token:
            return None
        with self._lock:
            return self._sessions.pop(token, None)

    def participants(self, token: str | None) -> list[Participant]:
        s = self.get(token)
        with self._lock:
            return list(s.participants.values()) if s else []

    def snapshot(self) -> list[IdPSession]:
        """The live sessions (copies of the list, for tests and displays)."""
        now = time.time()
        with self._lock:
            return [s for s in self._sessions.values() if s.expires >= now]

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)
