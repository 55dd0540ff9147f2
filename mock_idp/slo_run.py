"""A Single Logout run at the mock IdP: the session participants it tells, and how each answered.

One run per logout: its token names it in the fan-out page's frames and in the final POST, and the
ID of each LogoutRequest it sent names it when that SP's LogoutResponse comes back. Runs are
bounded in number and expire; a LogoutRequest's ID is taken once its genuine answer arrived.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from mock_idp.model import SPSettings
from mock_idp.sessions import Participant
from samlkit import binding, csp
from samlkit.app_response import AppResponse
from samlkit.events import Check, Event, emit

if TYPE_CHECKING:
    from mock_idp.app import IdPApp

ACTOR = "Mock IdP"
MAX_RUNS = 10_000
RUN_TTL = 600
_FRAMED_AUTO_POST = replace(csp.AUTO_POST, frame_ancestors=csp.SELF)  # posted in the logout page's frame

# (SP name, ok, detail): ok None = not asked (no SLO URL), False = refused, failed or never answered
Result = tuple[str, bool | None, str]


@dataclass
class Initiator:
    """The SP that asked for the logout, and what its LogoutResponse must say."""

    sp_entity_id: str
    request_id: str
    relay_state: str | None


@dataclass
class Target:
    """One SP the run sends a LogoutRequest to, in its own frame of the fan-out page."""

    name: str
    participant: Participant
    request_id: str = ""  # set once its LogoutRequest is sent
    result: tuple[bool, str] | None = None  # (ok, detail) once it answered (or could not be asked)


@dataclass
class LogoutRun:
    username: str
    queue: list[Participant]
    initiator: Initiator | None = None
    results: list[Result] = field(default_factory=list)  # known before the fan-out (initiator, skipped)
    targets: list[Target] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    browser: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # the starting browser's cookie
    created: float = field(default_factory=time.time)

    def target_for(self, request_id: str) -> Target | None:
        return next((t for t in self.targets if request_id and t.request_id == request_id), None)

    def all_results(self) -> list[Result]:
        """Every SP's result; an SP whose LogoutResponse never came back refused or failed the request."""
        unanswered = "no LogoutResponse came back: the SP refused the LogoutRequest or failed"
        answered = [(t.name, *t.result) if t.result else (t.name, False, unanswered) for t in self.targets]
        return [*self.results, *answered]

    @property
    def partial(self) -> bool:
        return any(ok is False for _, ok, _ in self.all_results())


class Runs:
    """Logouts in progress, by run token and by the ID of each LogoutRequest sent (bounded, expiring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, LogoutRun] = OrderedDict()

    def put(self, key: str, run: LogoutRun) -> None:
        with self._lock:
            while len(self._runs) >= MAX_RUNS:
                self._runs.popitem(last=False)
            self._runs[key] = run

    def take(self, key: str) -> LogoutRun | None:
        with self._lock:
            run = self._runs.pop(key, None)
        return run if run is not None and run.created > time.time() - RUN_TTL else None

    def peek(self, key: str) -> LogoutRun | None:
        """The run, left in place: it is taken once the answer naming it holds."""
        with self._lock:
            run = self._runs.get(key)
        return run if run is not None and run.created > time.time() - RUN_TTL else None


def verdict(app: IdPApp, ok: bool, code: str, message: str, checks: list[Check]) -> None:
    emit(app.sink, Event(kind="verdict", actor="idp", ok=ok, code=code, message=message, checks=checks))


def deliver(app: IdPApp, out: binding.Outgoing, request_id: str | None = None, *, framed: bool = False) -> Response:
    """The browser carries `out` on: a 302 (Redirect) or a self-posting form (POST); `framed`: in a
    frame of the IdP's logout page, which alone may show it."""
    emit(
        app.sink,
        Event(
            kind="saml",
            actor="idp",
            direction="send",
            binding=out.binding,
            url=out.location or out.destination,
            param=out.param,
            value=out.value,
            relay_state=out.relay_state,
            request_id=request_id,
        ),
    )
    if out.binding == binding.REDIRECT:
        return AppResponse(status=302, headers={"Location": out.location, "Cache-Control": "no-store"})
    return app._html(out.form_html(ACTOR), policy=_FRAMED_AUTO_POST if framed else csp.AUTO_POST)


def send(app: IdPApp, sp: SPSettings, root: object, param: str, relay: str | None) -> binding.Outgoing:
    """`root` signed for `sp` (its key when it has one of its own) and bound as the SP's SLO binding says."""
    c = app.config
    return binding.send(
        root,
        param=param,
        binding=sp.slo_binding,
        relay_state=relay,
        key_pem=sp.key_pem or c.key_pem,
        cert_pem=sp.cert_pem or c.cert_pem,
        hash_name=sp.sig_hash,
    )
