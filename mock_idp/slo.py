"""Single Logout at the mock IdP, front channel: the browser visits each SP of the session in turn.

IdP-initiated (`/logout`): the IdP session ends, then each SP it issued a session to gets a
signed LogoutRequest (NameID and SessionIndex as its Assertion gave them) and answers with a
LogoutResponse to `/slo`, one SP after another; a page lists how each went. SP-initiated (a
LogoutRequest arrives at `/slo`): checked (signature with the SP's certificate, Destination,
NotOnOrAfter, NameID and SessionIndex against the IdP session), the other SPs are logged out
the same way, then the initiating SP gets a signed LogoutResponse.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from mock_idp.contract import SESSION_COOKIE, IdPRoute
from mock_idp.logout_request import logout_request_for
from mock_idp.model import SPSettings
from mock_idp.sessions import IdPSession, Participant
from samlkit import binding, logout, ns
from samlkit.events import Check, Event, emit
from samlkit.html import esc, page
from samlkit.xmldsig import SignatureProblem

if TYPE_CHECKING:
    from mock_idp.app import IdPApp

ACTOR = "Mock IdP"
MAX_RUNS = 10_000
RUN_TTL = 600


@dataclass
class Initiator:
    """The SP that asked for the logout, and what its LogoutResponse must say."""

    sp_entity_id: str
    request_id: str
    relay_state: str | None


@dataclass
class LogoutRun:
    username: str
    queue: list[Participant]
    initiator: Initiator | None = None
    results: list[tuple[str, bool | None, str]] = field(default_factory=list)  # (SP, ok, detail)
    waiting_for: str = ""  # the SP entityID whose LogoutResponse is due
    created: float = field(default_factory=time.time)


class Runs:
    """Logouts in progress, by the ID of the LogoutRequest each is waiting on (bounded, expiring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, LogoutRun] = OrderedDict()

    def put(self, request_id: str, run: LogoutRun) -> None:
        with self._lock:
            while len(self._runs) >= MAX_RUNS:
                self._runs.popitem(last=False)
            self._runs[request_id] = run

    def take(self, request_id: str) -> LogoutRun | None:
        with self._lock:
            run = self._runs.pop(request_id, None)
        return run if run is not None and run.created > time.time() - RUN_TTL else None

    def peek(self, request_id: str) -> LogoutRun | None:
        """The run, left in place: it is taken once the answer naming it holds."""
        with self._lock:
            run = self._runs.get(request_id)
        return run if run is not None and run.created > time.time() - RUN_TTL else None


class Checks:
    def __init__(self) -> None:
        self.items: list[Check] = []

    def ok(self, name: str, detail: str) -> None:
        self.items.append(Check(name, True, detail))

    def fail(self, name: str, code: str, message: str) -> LogoutProblem:
        self.items.append(Check(name, False, message))
        return LogoutProblem(code, message)


class LogoutProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _verdict(app: IdPApp, ok: bool, code: str, message: str, checks: list[Check]) -> None:
    emit(app.sink, Event(kind="verdict", actor="idp", ok=ok, code=code, message=message, checks=checks))


def _deliver(app: IdPApp, out: binding.Outgoing, request_id: str | None = None) -> Response:
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
        return Response(status=302, headers={"Location": out.location, "Cache-Control": "no-store"})
    return app._html(out.form_html(ACTOR))


def _send(app: IdPApp, sp: SPSettings, root: object, param: str, relay: str | None) -> binding.Outgoing:
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


# -- IdP-initiated ------------------------------------------------------------------------------


def idp_logout(app: IdPApp, request: Request) -> Response:
    """End the IdP session, then log the user out of every SP it signed them in to."""
    session = app.sessions.end(request.cookies.get(SESSION_COOKIE))
    if session is None:
        resp = _finished_page(app, LogoutRun("", []), "You had no session at the mock IdP.")
    else:
        resp = _next(app, LogoutRun(session.username, list(session.participants.values())))
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=app._secure)
    return resp


def _next(app: IdPApp, run: LogoutRun) -> Response:
    """Send the next LogoutRequest of the run, or finish it."""
    c = app.config
    while run.queue:
        p = run.queue.pop(0)
        sp = c.sp(p.sp_entity_id)
        if sp is None or not sp.slo_url:
            name = sp.name if sp and sp.name else p.sp_entity_id
            run.results.append((name, None, "names no SLO URL: its session was left alone"))
            continue
        try:
            root = logout_request_for(c.entity_id, sp, p)
        except ValueError as err:  # encryption asked for without a usable certificate
            run.results.append((sp.name or sp.entity_id, False, f"no LogoutRequest sent: {err}"))
            continue
        run.waiting_for = sp.entity_id
        app.slo_runs.put(root.get("ID"), run)
        return _deliver(app, _send(app, sp, root, "SAMLRequest", None), root.get("ID"))
    if run.initiator is None:
        return _finished_page(app, run, "")
    return _answer_initiator(app, run)


def _answer_initiator(app: IdPApp, run: LogoutRun) -> Response:
    c = app.config
    init = run.initiator
    if init is None:
        return _finished_page(app, run, "")
    sp = c.sp(init.sp_entity_id)
    if sp is None or not sp.slo_url:
        return _finished_page(app, run, "The SP that asked for this logout names no SLO URL to answer.")
    partial = any(ok is not True for _, ok, _ in run.results)
    root = logout.logout_response(
        issuer=c.entity_id,
        destination=sp.slo_url,
        in_response_to=init.request_id,
        sub_status=logout.STATUS_PARTIAL_LOGOUT if partial else None,
        message="Not every service could be logged out." if partial else None,
    )
    return _deliver(app, _send(app, sp, root, "SAMLResponse", init.relay_state), init.request_id)


def _finished_page(app: IdPApp, run: LogoutRun, note: str) -> Response:
    marks = {True: "✔ logged out", False: "✘ not logged out", None: "– skipped"}
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{marks[ok]}</td><td>{esc(detail)}</td></tr>" for name, ok, detail in run.results
    )
    table = f"<table><tr><th>Service</th><th>Result</th><th>Detail</th></tr>{rows}</table>" if rows else ""
    body = (
        f"<p>You are signed out of the mock IdP.</p>{f'<p>{esc(note)}</p>' if note else ''}{table}"
        f'<p><a href="{IdPRoute.ROOT}">Home</a></p>'
    )
    return app._html(page("Signed out", body, actor=ACTOR))


# -- the SLO endpoint ---------------------------------------------------------------------------


def endpoint(app: IdPApp, request: Request) -> Response:
    try:
        msg = binding.receive(request.method, request.args, request.form, request.query_string.decode("latin-1"))
    except binding.MessageProblem as p:
        return app._error(p.code, p.message)
    emit(
        app.sink,
        Event(
            kind="saml",
            actor="idp",
            direction="recv",
            binding=msg.binding,
            url=binding.raw_url(request.base_url, msg.raw_query),
            param=msg.param,
            value=msg.value,
            relay_state=msg.relay_state,
        ),
    )
    checks = Checks()
    try:
        if msg.root.tag == ns.q(ns.SAMLP, "LogoutResponse"):
            return _on_response(app, msg, checks)
        if msg.root.tag == ns.q(ns.SAMLP, "LogoutRequest"):
            return _on_request(app, request, msg, checks)
        raise checks.fail(
            "Protocol", "not-a-logout-message", "The SLO endpoint takes LogoutRequest and LogoutResponse only."
        )
    except LogoutProblem as p:
        _verdict(app, False, p.code, p.message, checks.items)
        return app._error(p.code, p.message)


def _trusted_sp(app: IdPApp, checks: Checks, msg: binding.Received, issuer: str) -> SPSettings:
    sp = app.config.sp(issuer)
    if sp is None:
        raise checks.fail("Issuer", "unknown-sp", f"The IdP has no trust with the SP {issuer!r}.")
    checks.ok("Issuer", issuer)
    if not sp.sp_cert_pem:
        raise checks.fail(
            "Signature",
            "sp-certificate-missing",
            f"The IdP has no signing certificate for {issuer}, so it cannot verify its message.",
        )
    try:
        checks.ok("Signature", binding.verify(msg, sp.sp_cert_pem))
    except SignatureProblem as p:
        raise checks.fail("Signature", p.code, f"The signature does not hold: {p.message}.") from None
    destination = msg.root.get("Destination") or ""
    if destination != app.config.slo_url:
        raise checks.fail(
            "Destination",
            "destination-mismatch",
            f"The message is addressed to {destination or '(nobody)'}, not {app.config.slo_url}.",
        )
    checks.ok("Destination", destination)
    return sp


def _on_request(app: IdPApp, request: Request, msg: binding.Received, checks: Checks) -> Response:
    """SP-initiated: check the LogoutRequest against this browser's IdP session, then log out everywhere."""
    view = logout.read_request(msg.root)
    sp = _trusted_sp(app, checks, msg, view.issuer)
    if logout.expired(view.not_on_or_after, app.config.accepted_time_diff):
        raise checks.fail("NotOnOrAfter", "expired", f"The LogoutRequest expired at {view.not_on_or_after}.")
    token, session, found_by = _locate_session(app, request, sp, view)
    mine = session.participants.get(sp.entity_id) if session else None
    problem = _session_problem(mine, view)
    if problem or session is None or mine is None:
        problem = problem or "This browser has no IdP session with that SP."
        checks.items.append(Check("Session", False, problem))
        _verdict(app, False, "logout-session-unknown", problem, checks.items)
        root = logout.logout_response(
            issuer=app.config.entity_id,
            destination=sp.slo_url or "",
            in_response_to=view.id,
            status=ns.STATUS_REQUESTER,
            sub_status=logout.STATUS_REQUEST_DENIED,
            message=problem,
        )
        if not sp.slo_url:
            raise LogoutProblem("logout-session-unknown", problem)
        return _deliver(app, _send(app, sp, root, "SAMLResponse", msg.relay_state), view.id)
    checks.ok(
        "Session", f"NameID {view.name_id} and SessionIndex {mine.session_index} match the IdP session ({found_by})"
    )
    app.sessions.end(token)
    _verdict(
        app, True, "logged-out", f"IdP session of {session.username} ended at {sp.entity_id}'s request", checks.items
    )
    others = [p for p in session.participants.values() if p.sp_entity_id != sp.entity_id]
    run = LogoutRun(session.username, others, Initiator(sp.entity_id, view.id, msg.relay_state))
    run.results.append((sp.name or sp.entity_id, True, "asked for this logout"))
    resp = _next(app, run)
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=app._secure)
    return resp


def _locate_session(
    app: IdPApp, request: Request, sp: SPSettings, view: logout.LogoutRequestView
) -> tuple[str | None, IdPSession | None, str]:
    """(token, session, how it was found). The browser's session cookie names it; a LogoutRequest that
    came without one (a cross-site POST leaves a SameSite=Lax cookie behind) names it itself: the
    signature was verified already, and only a session in which this SP was issued exactly that NameID
    with that SessionIndex matches, so an SP can end only its own user's session."""
    token = request.cookies.get(SESSION_COOKIE)
    session = app.sessions.get(token)
    if session is not None:
        return token, session, "found by the session cookie"
    found = app.sessions.find(sp.entity_id, view.name_id, view.session_indexes)
    if found is None:
        return token, None, ""
    return found[0], found[1], "no session cookie came with the request: found by its NameID and SessionIndex"


def _session_problem(mine: Participant | None, view: logout.LogoutRequestView) -> str:
    if mine is None:
        return (
            "This browser has no IdP session with that SP, and no IdP session matches the request's NameID "
            "and SessionIndex."
        )
    if mine.name_id != view.name_id:
        return f"The NameID {view.name_id!r} is not the one the IdP issued to that SP in this session."
    if view.session_indexes and mine.session_index not in view.session_indexes:
        return f"The SessionIndex {', '.join(view.session_indexes)!r} is not this IdP session's."
    return ""


def _on_response(app: IdPApp, msg: binding.Received, checks: Checks) -> Response:
    """An SP's answer to our LogoutRequest: note how it went, then go on to the next SP."""
    view = logout.read_response(msg.root)
    # Looked at, not taken: a forged answer must not end the run the SP's genuine answer will name.
    run = app.slo_runs.peek(view.in_response_to) if view.in_response_to else None
    if run is None:
        raise checks.fail(
            "InResponseTo",
            "in-response-to-unknown",
            f"The LogoutResponse answers {view.in_response_to or 'nothing'}, not a LogoutRequest in progress.",
        )
    checks.ok("InResponseTo", view.in_response_to)
    if view.issuer != run.waiting_for:
        raise checks.fail(
            "Issuer",
            "issuer-mismatch",
            f"The LogoutResponse comes from {view.issuer!r}, but {run.waiting_for!r} was asked.",
        )
    sp = _trusted_sp(app, checks, msg, view.issuer)
    if app.slo_runs.take(view.in_response_to) is not run:  # answered meanwhile: each answer counts once
        raise checks.fail("InResponseTo", "in-response-to-unknown", f"{view.in_response_to} was answered already.")
    ok = view.status == ns.STATUS_SUCCESS
    checks.items.append(Check("Status", ok, logout.status_text(view)))
    run.results.append((sp.name or sp.entity_id, ok, logout.status_text(view)))
    _verdict(
        app,
        ok,
        "logged-out" if ok else "status-not-success",
        f"{sp.name or sp.entity_id}: {logout.status_text(view)}",
        checks.items,
    )
    return _next(app, run)
