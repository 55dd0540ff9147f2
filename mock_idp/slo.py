"""Single Logout at the mock IdP, front channel.

IdP-initiated (`/logout`): the IdP session ends, then each SP it issued a session to gets a
signed LogoutRequest (NameID and SessionIndex as its Assertion gave them, an EncryptedID for SPs
that get encrypted NameIDs) in its own frame of one page (`mock_idp.slo_fanout`), and answers with a
LogoutResponse to `/slo`; an SP that refuses or fails does not stop the others, and the final page
lists how each went. SP-initiated (a LogoutRequest arrives at `/slo`): checked (signature with the
SP's certificate, Destination, NotOnOrAfter, NameID and SessionIndex against the IdP session, found
by the session cookie or, without one, by the request's NameID and SessionIndex), the other SPs are
logged out the same way, then the initiating SP gets a signed LogoutResponse (PartialLogout when
any SP was not logged out).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from mock_idp import slo_fanout
from mock_idp.contract import SESSION_COOKIE, IdPRoute
from mock_idp.model import SPSettings
from mock_idp.sessions import IdPSession, Participant
from mock_idp.slo_run import Initiator, LogoutRun, deliver, send, verdict
from samlkit import binding, logout, ns
from samlkit.events import Check, Event, emit
from samlkit.logout_csrf import TOKEN_FIELD, confirm_page, confirmation_token, from_own_site
from samlkit.xmldsig import SignatureProblem

if TYPE_CHECKING:
    from mock_idp.app import IdPApp


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


_LOGOUT_PURPOSE = b"mock-idp logout"

# -- IdP-initiated ------------------------------------------------------------------------------


def idp_logout(app: IdPApp, request: Request) -> Response:
    """End the IdP session, then log the user out of every SP it signed them in to. Another site
    cannot trigger it (`samlkit.logout_csrf`): a GET from elsewhere gets a confirmation form."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    if app.sessions.get(token) is not None:
        expected = confirmation_token(token, _LOGOUT_PURPOSE)
        if request.method == "POST":
            if not hmac.compare_digest(request.form.get(TOKEN_FIELD, ""), expected):
                return app._error(
                    "csrf", "This logout did not come from the mock IdP's own page; you stay signed in.", 403
                )
        elif not from_own_site(request.headers):
            question = "Sign out of the mock IdP and of every service it signed you in to?"
            return app._html(confirm_page(IdPRoute.LOGOUT, expected, question, "Mock IdP"))
    session = app.sessions.end(token)
    if session is None:
        resp = slo_fanout.finished_page(app, LogoutRun("", []), "You had no session at the mock IdP.")
    else:
        resp = slo_fanout.start(app, LogoutRun(session.username, list(session.participants.values())))
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=app._secure)
    return resp


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
        verdict(app, False, p.code, p.message, checks.items)
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
    skew = app.config.accepted_time_diff
    if logout.expired(view.not_on_or_after, skew):
        raise checks.fail("NotOnOrAfter", "expired", f"The LogoutRequest expired at {view.not_on_or_after}.")
    issued = msg.root.get("IssueInstant")
    late = logout.issue_instant_problem(logout.read_instant(issued), issued, skew)
    if late is not None:
        raise checks.fail("IssueInstant", *late)
    checks.ok("IssueInstant", issued or "")
    token, session, found_by = _locate_session(app, request, sp, view)
    mine = session.participants.get(sp.entity_id) if session else None
    problem = _session_problem(mine, view)
    if problem or session is None or mine is None:
        problem = problem or "This browser has no IdP session with that SP."
        checks.items.append(Check("Session", False, problem))
        verdict(app, False, "logout-session-unknown", problem, checks.items)
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
        return deliver(app, send(app, sp, root, "SAMLResponse", msg.relay_state), view.id)
    checks.ok(
        "Session", f"NameID {view.name_id} and SessionIndex {mine.session_index} match the IdP session ({found_by})"
    )
    # Acted on once: kept while its IssueInstant keeps it valid (a replay could end the NameID's next session).
    if not app.slo_seen.first_time(f"{sp.entity_id} {view.id}", logout.LOGOUT_LIFETIME + 2 * skew + 60):
        raise checks.fail("Replay", "replayed", f"The LogoutRequest {view.id} was already acted on.")
    checks.ok("Replay", "LogoutRequest ID not seen before")
    app.sessions.end(token)
    verdict(
        app, True, "logged-out", f"IdP session of {session.username} ended at {sp.entity_id}'s request", checks.items
    )
    others = [p for p in session.participants.values() if p.sp_entity_id != sp.entity_id]
    run = LogoutRun(session.username, others, Initiator(sp.entity_id, view.id, msg.relay_state))
    run.results.append((sp.name or sp.entity_id, True, "asked for this logout"))
    resp = slo_fanout.start(app, run)
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
    """An SP's answer to our LogoutRequest, in its frame: note how it went and tell the fan-out page."""
    view = logout.read_response(msg.root)
    key = slo_fanout.REQUEST_KEY + view.in_response_to
    # Looked at, not taken: a forged answer must not end the run the SP's genuine answer will name.
    run = app.slo_runs.peek(key) if view.in_response_to else None
    target = run.target_for(view.in_response_to) if run else None
    if run is None or target is None:
        raise checks.fail(
            "InResponseTo",
            "in-response-to-unknown",
            f"The LogoutResponse answers {view.in_response_to or 'nothing'}, not a LogoutRequest in progress.",
        )
    checks.ok("InResponseTo", view.in_response_to)
    asked = target.participant.sp_entity_id
    if view.issuer != asked:
        raise checks.fail(
            "Issuer", "issuer-mismatch", f"The LogoutResponse comes from {view.issuer!r}, but {asked!r} was asked."
        )
    sp = _trusted_sp(app, checks, msg, view.issuer)
    if app.slo_runs.take(key) is not run or target.result is not None:  # each answer counts once
        raise checks.fail("InResponseTo", "in-response-to-unknown", f"{view.in_response_to} was answered already.")
    ok = view.status == ns.STATUS_SUCCESS
    checks.items.append(Check("Status", ok, logout.status_text(view)))
    target.result = (ok, logout.status_text(view))
    verdict(
        app,
        ok,
        "logged-out" if ok else "status-not-success",
        f"{sp.name or sp.entity_id}: {logout.status_text(view)}",
        checks.items,
    )
    return slo_fanout.answered_page(app, target)
