"""Per SP, for the next N Responses only: an attack scenario, or other settings (signing, NameID...).

An armed scenario makes the next N Responses to that SP the scenario's bad message.

A test that integrates its own SP arms a scenario (`XSW3`, `signature-removed-assertion`, ...)
through the harness's control API, then drives an ordinary login: instead of the genuine
Response, the mock IdP posts what the scenario builds from that very login (the AuthnRequest
answered, the user who signed in, the RelayState), and the SP under test must refuse it.
Scenarios that need a second browser or an earlier accepted login cannot be built from one
login, so they cannot be armed. An `Override` changes how the next N Responses to the SP are
made (signed by whom and how, which NameID, ...) and then the saved settings apply again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from mock_idp.model import IdPUser, SPSettings
from mock_idp.scenarios import Scenario, by_name
from mock_idp.scenarios.base import NEEDS_FRESH_BROWSER, NEEDS_PRIOR_LOGIN, Context, Message

NOT_ARMABLE = frozenset({NEEDS_PRIOR_LOGIN, NEEDS_FRESH_BROWSER})


class ArmError(ValueError):
    """A scenario that does not exist or cannot be armed, in words."""


@dataclass
class Armed:
    scenario: Scenario
    remaining: int
    foreign_key_pem: bytes
    foreign_cert_pem: bytes
    victim: str | None = None  # the user a forgery impersonates; None: another user than the one signing in

    def to_dict(self, entity_id: str) -> dict:
        return {"entity_id": entity_id, "scenario": self.scenario.name, "remaining": self.remaining}


def armable(name: str) -> Scenario:
    scenario = by_name(name)
    if scenario is None or scenario.legitimate:
        raise ArmError(f"there is no attack scenario {name!r}")
    blocked = scenario.needs & NOT_ARMABLE
    if blocked:
        raise ArmError(f"{name} needs {', '.join(sorted(blocked))}: run it with the attack battery instead")
    return scenario


@dataclass
class Override:
    """SPSettings fields that replace the saved ones for the next `remaining` Responses."""

    remaining: int
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, entity_id: str) -> dict:
        return {"entity_id": entity_id, "settings": dict(self.settings), "remaining": self.remaining}


class _Counted(Protocol):
    remaining: int

    def to_dict(self, entity_id: str) -> dict: ...


T = TypeVar("T", bound=_Counted)


class NextResponses(Generic[T]):
    """entity_id -> what applies to its next Responses; thread-safe, counts down to nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, T] = {}

    def arm(self, entity_id: str, armed: T) -> None:
        if armed.remaining < 1:
            raise ArmError("count must be at least 1")
        with self._lock:
            self._armed[entity_id] = armed

    def disarm(self, entity_id: str | None = None) -> None:
        with self._lock:
            if entity_id is None:
                self._armed.clear()
            else:
                self._armed.pop(entity_id, None)

    def take(self, entity_id: str) -> T | None:
        """What applies to this Response, if anything (one use is counted)."""
        with self._lock:
            armed = self._armed.get(entity_id)
            if armed is None:
                return None
            armed.remaining -= 1
            if armed.remaining <= 0:
                del self._armed[entity_id]
            return armed

    def listing(self) -> list[dict]:
        with self._lock:
            return [a.to_dict(e) for e, a in self._armed.items()]


ArmedScenarios = NextResponses[Armed]


def build_message(
    armed: Armed,
    *,
    idp_entity_id: str,
    key_pem: bytes,
    cert_pem: bytes,
    sp: SPSettings,
    user: IdPUser,
    users: list[IdPUser],
    in_response_to: str | None,
    relay_state: str | None,
) -> Message:
    """The scenario's bad message for this login, signed by the IdP's key where the scenario signs."""
    victim = next((u for u in users if u.username == armed.victim), None) or next(
        (u for u in users if u.username != user.username), IdPUser("victim", "", email="victim@example.org")
    )
    context = Context(
        idp_entity_id=idp_entity_id,
        idp_key_pem=sp.key_pem or key_pem,
        idp_cert_pem=sp.cert_pem or cert_pem,
        sp=sp,
        user=user,
        victim=victim,
        foreign_key_pem=armed.foreign_key_pem,
        foreign_cert_pem=armed.foreign_cert_pem,
        in_response_to=in_response_to,
        relay_state=relay_state,
        sig_hash=sp.sig_hash,
    )
    return armed.scenario.build(context)
