"""Single Logout at the vendor SP: its logout sends a LogoutRequest, its SLO endpoint answers the IdP.

SP-initiated: `/fo/logout.php` ends the SP session first (a logout that cannot complete still
logs the user out here), then sends a signed LogoutRequest with the session's NameID and
SessionIndex to the IdP's SLO URL when the subscription names one; the LogoutResponse that comes
back is checked (signature with the trusted IdP certificate, Issuer, Destination, InResponseTo,
Status) before the browser lands on the exit URL. IdP-initiated: a LogoutRequest is checked the
same way, must name an existing session (NameID and SessionIndex), ends it, and is answered with
a signed LogoutResponse. Every refusal is a 4xx page with a reason code, like the ACS's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from samlkit import binding, csp, logout, ns
from samlkit.app_response import AppResponse
from samlkit.events import Check, Event, emit
from samlkit.xmldsig import SignatureProblem
from sp import trust
from sp.contract.http import LOGGED_OUT, SESSION_COOKIE, Route
from sp.contract.reasons import Reason, Refusal
from sp.model import SPConfig, Subscription
from sp.pages import logged_out_page
from sp.saml_read import parse_instant
from sp.slo_name_id import open_name_id

if TYPE_CHECKING:
    from sp.app import SPApp

ACTOR = "Vendor SP"


class Checks:
    """The checks made on one logout message, in order, for the trace and the refusal page."""

    def __init__(self) -> None:
        self.items: list[Check] = []

    def ok(self, name: str, detail: str) -> None:
        self.items.append(Check(name, True, detail))

    def fail(self, name: str, code: Reason | str, message: str) -> Refusal:
        self.items.append(Check(name, False, message))
        return Refusal(code, message, checks=self.items)


def _saml_event(
    app: SPApp,
    direction: str,
    msg_binding: str,
    url: str,
    param: str,
    value: str,
    relay: str | None,
    request_id: str | None = None,
) -> None:
    emit(
        app.sink,
        Event(
            kind="saml",
            actor="sp",
            direction=direction,
            binding=msg_binding,
            url=url,
            param=param,
            value=value,
            relay_state=relay,
            request_id=request_id,
        ),
    )


def _deliver(app: SPApp, out: binding.Outgoing, policy: csp.Policy = csp.AUTO_POST) -> Response:
    """The browser carries `out` on: a 302 (Redirect) or a self-posting form (POST) to the IdP, which
    names no form-action (`samlkit.csp`)."""
    _saml_event(app, "send", out.binding, out.location or out.destination, out.param, out.value, out.relay_state)
    if out.binding == binding.REDIRECT:
        headers = {"Location": out.location, "Cache-Control": "no-store", csp.HEADER: policy.header}
        return AppResponse(status=302, headers=headers)
    return app._html(out.form_html(ACTOR), policy=policy)


# -- SP-initiated -------------------------------------------------------------------------------


def start_logout(app: SPApp, request: Request, session: dict | None, sub: Subscription | None) -> Response | None:
    """Send the LogoutRequest for an SP session that has just ended; None when there is nothing to send."""
    config = app.config
    if not (session and sub and sub.idp_slo_url and session.get("name_id")):
        return None
    target = sub.exit_url or Route.LOGGED_OUT
    if not config.key_pem:
        _verdict(app, False, "slo-unavailable", "The SP has no signing key, so it cannot send a LogoutRequest.")
        return app._html(logged_out_page("Single logout was not attempted: the SP has no signing key."))
    root = logout.logout_request(
        issuer=config.entity_id,
        destination=sub.idp_slo_url,
        name_id=session["name_id"],
        name_id_format=session.get("name_id_format", ""),
        session_index=session.get("session_index", ""),
    )
    app.store.put_logout(
        root.get("ID"),
        {"idm_key": sub.idm_key, "target": target, "login": session.get("login")},
        config.request_lifetime,
    )
    out = binding.send(
        root,
        param="SAMLRequest",
        binding=sub.slo_binding,
        relay_state=None,
        key_pem=config.key_pem,
        cert_pem=config.cert_pem,
    )
    return _deliver(app, out)


# -- the SLO endpoint ---------------------------------------------------------------------------


def endpoint(app: SPApp, request: Request) -> Response:
    """GET (HTTP-Redirect) or POST (HTTP-POST): a LogoutResponse or a LogoutRequest from the IdP."""
    try:
        msg = binding.receive(
            request.method, request.args, request.form, request.query_string.decode("latin-1"), app.config.max_body
        )
    except binding.MessageProblem as p:
        raise Refusal(p.code, p.message) from None
    _saml_event(
        app,
        "recv",
        msg.binding,
        binding.raw_url(request.base_url, msg.raw_query),
        msg.param,
        msg.value,
        msg.relay_state,
    )
    checks = Checks()
    try:
        if msg.root.tag == ns.q(ns.SAMLP, "LogoutResponse"):
            return _on_response(app, msg, checks)
        if msg.root.tag == ns.q(ns.SAMLP, "LogoutRequest"):
            return _on_request(app, request, msg, checks)
        raise checks.fail(
            "Protocol",
            Reason.NOT_A_LOGOUT_MESSAGE,
            f"The SLO endpoint takes LogoutRequest and LogoutResponse, not {msg.root.tag!r}.",
        )
    except Refusal as r:
        if msg.root.tag == ns.q(ns.SAMLP, "LogoutResponse"):
            r.message = f"You are logged out of this SP, but single logout did not complete: {r.message}"
        _verdict(app, False, r.code, r.message, checks.items)
        raise


def _verdict(
    app: SPApp,
    ok: bool,
    code: str,
    message: str,
    checks: list[Check] | None = None,
    *,
    login: str | None = None,
    subscription: str | None = None,
) -> None:
    emit(
        app.sink,
        Event(
            kind="verdict",
            actor="sp",
            ok=ok,
            code=code,
            message=message,
            checks=checks or [],
            login=login,
            subscription=subscription,
        ),
    )


def _verify_with_trust(msg: binding.Received, sub: Subscription) -> str:
    """Each certificate the subscription trusts (two while a rollover overlaps): the first that holds wins;
    when none does, the refusal is the current certificate's."""
    certs = trust.trusted_certs(sub)
    if not certs:
        raise SignatureProblem("trust-misconfigured", "the subscription trusts no certificate")
    problems: list[SignatureProblem] = []
    for cert in certs:
        try:
            detail = binding.verify(msg, cert.pem)
        except SignatureProblem as p:
            problems.append(p)
            if p.code not in ("signature-invalid", "trust-misconfigured"):
                break  # the signature itself is refused (algorithm...): no other key changes that
            continue
        return detail if cert.role == "only" else f"{detail}: {cert.describe()}"
    raise problems[0]


def _check_signature(checks: Checks, msg: binding.Received, sub: Subscription) -> None:
    try:
        checks.ok("Signature", _verify_with_trust(msg, sub))
    except SignatureProblem as p:
        raise checks.fail("Signature", p.code, f"The {etree_name(msg)} signature does not hold: {p.message}.") from None


def etree_name(msg: binding.Received) -> str:
    return msg.root.tag.rpartition("}")[2]


def _check_destination(checks: Checks, config: SPConfig, destination: str) -> None:
    if destination != config.slo_url:
        raise checks.fail(
            "Destination",
            Reason.DESTINATION_MISMATCH,
            f"The message is addressed to {destination or '(nobody)'}, not this SLO endpoint ({config.slo_url}).",
        )
    checks.ok("Destination", destination)


def _on_response(app: SPApp, msg: binding.Received, checks: Checks) -> Response:
    """The IdP's answer to our LogoutRequest; the SP session ended already, this decides the landing."""
    config = app.config
    view = logout.read_response(msg.root)
    # Looked at, not taken: a forged answer must not use up the request the IdP's answer will name.
    pending = app.store.peek_logout(view.in_response_to) if view.in_response_to else None
    if pending is None:
        raise checks.fail(
            "InResponseTo",
            Reason.IN_RESPONSE_TO_UNKNOWN,
            f"The LogoutResponse answers {view.in_response_to or 'nothing'}, not a LogoutRequest this "
            "SP sent and still awaits.",
        )
    checks.ok("InResponseTo", f"answers the LogoutRequest {view.in_response_to}")
    sub = config.subscription(pending["idm_key"])
    if sub is None or view.issuer != sub.idp_entity_id:
        trusted = sub.idp_entity_id if sub else "(the subscription is gone)"
        raise checks.fail(
            "Issuer",
            Reason.ISSUER_MISMATCH,
            f"The LogoutResponse was issued by {view.issuer!r}, but the subscription trusts {trusted!r}.",
        )
    checks.ok("Issuer", view.issuer)
    _check_signature(checks, msg, sub)
    _check_destination(checks, config, view.destination)
    if app.store.take_logout(view.in_response_to) is None:  # answered meanwhile: each is answered once
        raise checks.fail("Replay", Reason.REPLAYED, f"The LogoutRequest {view.in_response_to} was already answered.")
    if view.status != ns.STATUS_SUCCESS:
        raise checks.fail(
            "Status",
            Reason.STATUS_NOT_SUCCESS,
            f"The IdP answered {logout.status_text(view)}: the IdP session may still be open.",
        )
    checks.ok("Status", logout.status_text(view))  # Success, or Success / PartialLogout: said as the IdP said it
    _verdict(
        app,
        True,
        LOGGED_OUT,
        f"Single logout completed for {pending.get('login')}",
        checks.items,
        login=pending.get("login"),
        subscription=sub.idm_key,
    )
    return AppResponse(status=302, headers={"Location": pending["target"], "Cache-Control": "no-store"})


def _on_request(app: SPApp, request: Request, msg: binding.Received, checks: Checks) -> Response:
    """The IdP logs the user out of this SP (IdP-initiated, or another SP started it)."""
    config = app.config
    view = logout.read_request(msg.root)
    trusting = _verified_subscriptions(config, checks, msg, view.issuer)
    _check_destination(checks, config, view.destination)
    if logout.expired(view.not_on_or_after, config.clock_skew):
        raise checks.fail("NotOnOrAfter", Reason.EXPIRED, f"The LogoutRequest expired at {view.not_on_or_after}.")
    checks.ok("NotOnOrAfter", view.not_on_or_after or "absent")
    _check_issue_instant(checks, msg.root.get("IssueInstant"), config.clock_skew)
    view, trusting = open_name_id(checks, msg.root, trusting, view)  # an EncryptedID: decrypted here
    sub, tokens = _matching_sessions(app, checks, trusting, view)  # `sub` answers (its SLO URL)
    # A LogoutRequest is acted on once: the replay cache keeps its ID as long as its IssueInstant
    # keeps it valid (issued at most the skew ahead, refused once LOGOUT_LIFETIME + skew old).
    keep = logout.LOGOUT_LIFETIME + 2 * config.clock_skew + 60
    if not app.store.remember_assertion(
        f"logout:{view.id}", sub.idm_key, time.time() + max(keep, logout.LOGOUT_LIFETIME * 2)
    ):
        raise checks.fail("Replay", Reason.REPLAYED, f"The LogoutRequest {view.id} was already acted on.")
    checks.ok("Replay", "LogoutRequest ID not seen before")
    for token in tokens:
        app.store.end_session(token)
    _verdict(
        app,
        True,
        LOGGED_OUT,
        f"{len(tokens)} session(s) of {view.name_id} ended at the IdP's request",
        checks.items,
        subscription=sub.idm_key,
    )
    if not sub.idp_slo_url or not config.key_pem:
        why = "it names no SLO URL to answer" if not sub.idp_slo_url else "the SP has no signing key to answer with"
        resp = app._html(logged_out_page(f"The IdP logged you out; {why}."))
    else:
        answer = logout.logout_response(issuer=config.entity_id, destination=sub.idp_slo_url, in_response_to=view.id)
        resp = _deliver(
            app,
            binding.send(
                answer,
                param="SAMLResponse",
                binding=sub.slo_binding,
                relay_state=msg.relay_state,
                key_pem=config.key_pem,
                cert_pem=config.cert_pem,
            ),
            csp.framed_by(csp.AUTO_POST, sub.idp_slo_url),  # IdPs tell each SP in a frame of their logout page
        )
    if request.cookies.get(SESSION_COOKIE) in tokens:
        resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _check_issue_instant(checks: Checks, value: str | None, skew: int) -> None:
    """A LogoutRequest is valid for LOGOUT_LIFETIME seconds after its IssueInstant, whatever its
    optional NotOnOrAfter says (`logout.issue_instant_problem`; the IdP checks the same)."""
    problem = logout.issue_instant_problem(parse_instant(value), value, skew)
    if problem is not None:
        raise checks.fail("IssueInstant", *problem)
    checks.ok("IssueInstant", value or "")


def _verified_subscriptions(config: SPConfig, checks: Checks, msg: binding.Received, issuer: str) -> list[Subscription]:
    """Every subscription that trusts the Issuer and whose certificate verifies the signature: one IdP
    onboarded by two subscriptions is trusted by both, and its logout ends the session in either."""
    candidates = [s for s in config.subscriptions if s.saml_ready and s.idp_entity_id == issuer]
    if not candidates:
        raise checks.fail("Issuer", Reason.ISSUER_MISMATCH, f"No subscription trusts the Issuer {issuer!r}.")
    checks.ok("Issuer", issuer)
    problems: list[SignatureProblem] = []
    verified: list[Subscription] = []
    for candidate in candidates:
        try:
            detail = _verify_with_trust(msg, candidate)
        except SignatureProblem as p:
            problems.append(p)
            continue
        if not verified:
            checks.ok("Signature", detail)
        verified.append(candidate)
    if verified:
        return verified
    first = problems[0]
    raise checks.fail("Signature", first.code, f"The LogoutRequest signature does not hold: {first.message}.")


def _matching_sessions(
    app: SPApp, checks: Checks, subs: list[Subscription], view: logout.LogoutRequestView
) -> tuple[Subscription, list[str]]:
    """(the subscription of the first session, the sessions) the LogoutRequest names in `subs`: its
    NameID, and one of its SessionIndexes when it gives any."""
    sessions = [(sub, t, index) for sub in subs for t, index in app.store.sessions_of(sub.idm_key, view.name_id)]
    if not sessions:
        raise checks.fail(
            "NameID",
            Reason.LOGOUT_SESSION_UNKNOWN,
            f"No session of this subscription belongs to the NameID {view.name_id!r}.",
        )
    checks.ok("NameID", f"{view.name_id}: {len(sessions)} session(s)")
    if view.session_indexes:
        sessions = [found for found in sessions if found[2] in view.session_indexes]
        if not sessions:
            raise checks.fail(
                "SessionIndex",
                Reason.SESSION_INDEX_MISMATCH,
                f"No session of {view.name_id!r} has the SessionIndex {', '.join(view.session_indexes)!r}.",
            )
        checks.ok("SessionIndex", ", ".join(view.session_indexes))
    else:
        checks.ok("SessionIndex", "none given: every session of this NameID ends")
    return sessions[0][0], [t for _, t, _ in sessions]
