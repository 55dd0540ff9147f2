"""The mock Identity Provider: a Werkzeug WSGI app factory on pysaml2.

Stands in for a customer's corporate IdP: a login form (with an optional TOTP second factor),
SP-initiated SSO over HTTP-Redirect and HTTP-POST, IdP-initiated SSO, metadata.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from mock_idp import request_policy, request_signature, sign_in, slo, slo_fanout, slo_run
from mock_idp.armed import Armed, NextResponses, Override, build_message
from mock_idp.authn_request import RequestProblem, read_authn_request
from mock_idp.authn_request import decode as decode_authn_request
from mock_idp.contract import SESSION_COOKIE, IdPRoute
from mock_idp.metadata_rollover import with_other_certificate
from mock_idp.model import IdPConfig, IdPUser, SPSettings
from mock_idp.request_policy import RequestPolicy
from mock_idp.response import issue, new_id
from mock_idp.seen_ids import SeenIDs
from mock_idp.sessions import Participant, SessionRegistry
from mock_idp.status_response import error_response
from samlkit import csp, ns
from samlkit.app_request import AppRequest
from samlkit.app_response import AppResponse
from samlkit.binding import raw_url
from samlkit.entities import make_idp_server, metadata_of
from samlkit.events import Event, Sink, emit, http_reporter
from samlkit.html import REASON_HEADER, auto_post_form, esc, page

MAX_BODY = 1024 * 1024
MAX_PENDING = 10_000
PENDING_TTL = 600


@dataclass
class Pending:
    """A login in progress: what to answer, to whom, once the user has authenticated."""

    sp_entity_id: str
    request_id: str | None
    relay_state: str | None
    created: float
    username: str | None = None  # set after the password, when a TOTP code is still due
    policy: RequestPolicy = field(default_factory=RequestPolicy)  # what the AuthnRequest asked for


class IdPApp:
    def __init__(self, config: IdPConfig, sink: Sink | None = None):
        self.sink = sink
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, Pending] = OrderedDict()
        self.sessions = SessionRegistry()  # who is signed in, and at which SPs (Single Logout reads it)
        self.slo_runs = slo_run.Runs()
        self.slo_seen = SeenIDs()  # LogoutRequests acted on
        self._honouring = request_policy.Honouring()  # NameIDPolicy (AllowCreate) and RequestedAuthnContext
        self.armed: NextResponses[Armed] = NextResponses()  # attack scenarios for the next Responses to an SP
        self.overrides: NextResponses[Override] = NextResponses()  # other settings for the next Responses
        self.reconfigure(config)
        self._wsgi = http_reporter(self._dispatch, "idp", lambda: self.sink)

    @property
    def _secure(self) -> bool:
        """Over HTTPS the IdP's cookies are Secure (its own pages only: SameSite=Lax stays)."""
        return self.config.base_url.startswith("https://")

    def reconfigure(self, config: IdPConfig) -> None:
        server = make_idp_server(
            entity_id=config.entity_id,
            sso_url=config.sso_url,
            key_pem=config.key_pem,
            cert_pem=config.cert_pem,
            sps=[(s.entity_id, s.acs_url, s.sp_cert_pem) for s in config.sps],
            accepted_time_diff=config.accepted_time_diff,
            slo_url=config.slo_url,
        )
        with self._lock:
            self.config = config
            self.server = server
            self._metadata = with_other_certificate(metadata_of(server), config.other_cert_pem)

    @property
    def metadata(self) -> str:
        """The IdP's SAML metadata, as GET /metadata serves it."""
        return self._metadata

    def __call__(self, environ: dict, start_response):
        return self._wsgi(environ, start_response)

    # -- plumbing -------------------------------------------------------------------------

    def _dispatch(self, environ: dict, start_response):
        request = AppRequest(environ)
        request.max_content_length = MAX_BODY
        request.max_form_memory_size = MAX_BODY
        try:
            response = self._route(request)
        except RequestEntityTooLarge:
            response = self._error("message-too-large", "The request body is larger than the IdP accepts.", 413)
        except HTTPException as err:
            response = self._error("bad-request", err.description or "The request is not valid.", err.code or 400)
        except Exception as err:  # never a traceback, never a 5xx
            response = self._error("bad-request", f"The IdP could not process this request ({type(err).__name__}).")
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        routes: dict[str, Callable[[Request], Response]] = {
            IdPRoute.ROOT: self._index,
            IdPRoute.METADATA: self._metadata_view,
            IdPRoute.SSO: self._sso,
            IdPRoute.LOGIN: lambda r: sign_in.login(self, r),
            IdPRoute.MFA: lambda r: sign_in.mfa(self, r),
            IdPRoute.START: self._start,
            IdPRoute.LOGOUT: lambda r: slo.idp_logout(self, r),
            IdPRoute.SLO: lambda r: slo.endpoint(self, r),
            IdPRoute.SLO_FRAME: lambda r: slo_fanout.frame(self, r),
            IdPRoute.SLO_DONE: lambda r: slo_fanout.done(self, r),
        }
        handler = routes.get(path)
        if handler is None:
            return self._error("not-found", f"There is no page at {path}.", 404)
        return handler(request)

    def _html(self, html: str, status: int = 200, policy: csp.Policy = csp.PAGE) -> Response:
        """An HTML page with its Content-Security-Policy (`samlkit.csp`); X-Frame-Options says the same
        to clients that know no CSP."""
        r = AppResponse(html, status=status, mimetype="text/html")
        r.headers["Cache-Control"] = "no-store"
        r.headers["X-Frame-Options"] = "DENY" if policy.frame_ancestors == csp.NONE else "SAMEORIGIN"
        r.headers[csp.HEADER] = policy.header
        return r

    def _error(self, code: str, message: str, status: int = 400) -> Response:
        body = f'<div class="refusal"><p><strong>{esc(code)}</strong></p><p>{esc(message)}</p></div>'
        r = self._html(page("The identity provider refused this request", body, actor="Mock IdP"), status, csp.STATIC)
        r.headers[REASON_HEADER] = code
        return r

    def _session_user(self, request: Request) -> IdPUser | None:
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        return self.config.user(session.username) if session else None

    def _add_pending(self, p: Pending) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            now = time.time()
            while self._pending and (
                len(self._pending) >= MAX_PENDING or next(iter(self._pending.values())).created < now - PENDING_TTL
            ):
                self._pending.popitem(last=False)
            self._pending[token] = p
        return token

    def _take_pending(self, token: str, remove: bool = True) -> Pending | None:
        with self._lock:
            p = self._pending.pop(token, None) if remove else self._pending.get(token)
        if p is None or p.created < time.time() - PENDING_TTL:
            return None
        return p

    # -- pages ----------------------------------------------------------------------------

    def _index(self, request: Request) -> Response:
        start = IdPRoute.START
        sps = "".join(
            f'<li><a href="{start}?{esc(urlencode({"sp": s.entity_id}))}">{esc(s.name or s.entity_id)}</a></li>'
            for s in self.config.sps
        )
        body = (
            f"<p>EntityID <code>{esc(self.config.entity_id)}</code>. "
            f'SSO URL <code>{esc(self.config.sso_url)}</code>. <a href="{IdPRoute.METADATA}">Metadata</a>.</p>'
            f"<h2>Sign in to a service (IdP-initiated)</h2><ul>{sps or '<li>No SP configured.</li>'}</ul>"
            f'<p><a href="{IdPRoute.LOGOUT}">Sign out of every service (Single Logout)</a></p>'
        )
        return self._html(page("Mock identity provider", body, actor="Mock IdP"), policy=csp.STATIC)

    def _metadata_view(self, request: Request) -> Response:
        return Response(self._metadata, mimetype="application/samlmetadata+xml")

    def _sso(self, request: Request) -> Response:
        if request.method == "POST":
            value, binding = request.form.get("SAMLRequest"), ns.BINDING_POST
            relay = request.form.get("RelayState")
        else:
            value, binding = request.args.get("SAMLRequest"), ns.BINDING_REDIRECT
            relay = request.args.get("RelayState")
        if not value:
            return self._error("request-missing", "No SAMLRequest was sent to the SSO endpoint.")
        short = "HTTP-POST" if binding == ns.BINDING_POST else "HTTP-Redirect"
        # Before pysaml2 reads it: a bad signature is answered with a SAML error Response, not a page.
        problem: RequestProblem | None = None
        try:
            root = decode_authn_request(value, binding)  # once, for both readers below
        except RequestProblem as err:
            root, problem = None, err
        refused = request_signature.check(self.config, short, value, request.query_string.decode("latin-1"), root)
        if problem is None:
            try:
                parsed = read_authn_request(self.server, value, binding, root)
            except RequestProblem as err:
                problem = err
        if self.sink is not None:  # no listener: no event to build (request.base_url costs ~20 us)
            emit(
                self.sink,
                Event(
                    kind="saml",
                    actor="idp",
                    direction="recv",
                    binding=short,
                    url=raw_url(request.base_url, request.query_string.decode("latin-1")),
                    param="SAMLRequest",
                    value=value,
                    relay_state=relay,
                    request_id=parsed.id if problem is None else (refused.request_id if refused else None),
                ),
            )
        if refused is not None:
            return self._refuse_request(refused.sp, refused.request_id, relay, refused.reason)
        if problem is not None:
            return self._error(problem.code, problem.message)
        sp = self.config.sp(parsed.issuer)
        if sp is None:
            return self._error("unknown-sp", f"The IdP has no trust with the SP {parsed.issuer!r}.")
        try:  # the ACS must be the registered one: else nothing, not even an error, may go there
            sp = request_policy.with_requested_acs(parsed.policy, sp)
        except request_policy.AcsProblem as err:
            return self._error(err.code, err.message)
        pending = Pending(sp.entity_id, parsed.id, relay, time.time(), policy=parsed.policy)
        user = self._session_user(request)
        try:
            request_policy.check_passive(parsed.policy, has_session=user is not None)
            request_policy.nameid_format(parsed.policy, sp.nameid_format, issued_before=True)
        except request_policy.PolicyError as err:
            return self._post_error(pending, sp, err)
        if user is not None and not request_policy.shows_login_form(parsed.policy, has_session=True):
            return self._answer(pending, user, session_token=request.cookies.get(SESSION_COOKIE))
        return sign_in.login_form(self, self._add_pending(pending), request)

    def _start(self, request: Request) -> Response:
        """IdP-initiated: pick the SP here, then the user at the login form."""
        entity = request.values.get("sp")
        if not entity:
            return self._index(request)
        sp = self.config.sp(entity)
        if sp is None:
            return self._error("unknown-sp", f"The IdP has no trust with the SP {entity!r}.")
        relay = request.values.get("RelayState") or sp.default_relay_state or None
        pending = Pending(sp.entity_id, None, relay, time.time())
        user = self._session_user(request)
        if user is not None and request.values.get("user") in (None, "", user.username):
            return self._answer(pending, user, session_token=request.cookies.get(SESSION_COOKIE))
        return sign_in.login_form(self, self._add_pending(pending), request, username=request.values.get("user", ""))

    # -- the answer -----------------------------------------------------------------------

    def _answer(
        self,
        pending: Pending,
        user: IdPUser,
        *,
        new_session: bool = False,
        mfa: bool = False,
        session_token: str | None = None,
    ) -> Response:
        config = self.config
        sp: SPSettings | None = config.sp(pending.sp_entity_id)
        if sp is None:
            return self._error("unknown-sp", "The SP was removed while you signed in.")
        override = self.overrides.take(sp.entity_id)
        if override is not None:
            sp = replace(sp, **override.settings)
        try:  # the requested ACS (checked at /sso), NameIDPolicy and RequestedAuthnContext, now the user is known
            sp = request_policy.with_requested_acs(pending.policy, sp)
            sp, context = self._honouring.answer(pending.policy, sp, user.username, mfa=mfa or bool(user.totp_secret))
        except request_policy.AcsProblem as err:  # the SP's registration changed meanwhile
            return self._error(err.code, err.message)
        except request_policy.PolicyError as err:
            return self._post_error(pending, sp, err, session_for=user if new_session else None)
        session_index = new_id()
        try:
            issued = issue(
                idp_entity_id=config.entity_id,
                sp=sp,
                user=user,
                key_pem=config.key_pem,
                cert_pem=config.cert_pem,
                in_response_to=pending.request_id,
                authn_context=context,
                session_index=session_index,
            )
        except ValueError as err:  # encryption asked for without a usable certificate or algorithm
            if "XML compatible" in str(err):  # lxml: a control character in the user's name or attributes
                return self._error(
                    "user-data-invalid",
                    "The user's name or an attribute holds a character XML cannot carry (a control character "
                    "or NUL): correct the user at the IdP.",
                )
            return self._error("encryption-misconfigured", f"The IdP cannot answer this SP: {err}.")
        armed = self.armed.take(sp.entity_id)
        if armed is not None:  # the scenario's bad message, made from this very login, instead
            fields = build_message(
                armed,
                idp_entity_id=config.entity_id,
                key_pem=config.key_pem,
                cert_pem=config.cert_pem,
                sp=sp,
                user=user,
                users=config.users,
                in_response_to=pending.request_id,
                relay_state=pending.relay_state,
            ).fields
            return self._post(pending, sp, fields, session_for=user if new_session else None)
        r = self._post(pending, sp, issued.b64, session_for=None)
        token = None if new_session else session_token
        if token is None or self.sessions.get(token) is None:
            token = self._new_session(r, user)
        fmt = ns.NAMEID_FORMATS.get(sp.nameid_format, sp.nameid_format)
        self.sessions.add_participant(token, Participant(sp.entity_id, issued.name_id, fmt, session_index))
        return r

    def _post_error(
        self, pending: Pending, sp: SPSettings, err: request_policy.PolicyError, *, session_for: IdPUser | None = None
    ) -> Response:
        """Answer the SP with a SAML error Response (NoPassive, InvalidNameIDPolicy, NoAuthnContext...)."""
        value = error_response(
            idp_entity_id=self.config.entity_id,
            sp=sp,
            in_response_to=pending.request_id,
            top=err.top,
            sub_status=err.sub_status,
            message=err.message,
            key_pem=self.config.key_pem,
            cert_pem=self.config.cert_pem,
        )
        return self._post(pending, sp, value, session_for=session_for)

    def _refuse_request(self, sp: SPSettings, request_id: str, relay_state: str | None, reason: str) -> Response:
        """An AuthnRequest refused for its signature: a RequestDenied error Response stating why."""
        pending = Pending(sp.entity_id, request_id or None, relay_state, time.time())
        refusal = request_policy.PolicyError("RequestDenied", f"AuthnRequest refused: {reason}.")
        return self._post_error(pending, sp, refusal)

    def _post(
        self, pending: Pending, sp: SPSettings, value: str | dict[str, str], *, session_for: IdPUser | None
    ) -> Response:
        """The self-posting form that carries a Response (or an armed scenario's whole form) to the SP's ACS,
        and the new IdP session."""
        user = session_for
        if isinstance(value, dict):
            fields = value
        else:
            fields = {"SAMLResponse": value}
            if pending.relay_state:
                fields["RelayState"] = pending.relay_state
        if self.sink is not None:
            emit(
                self.sink,
                Event(
                    kind="saml",
                    actor="idp",
                    direction="send",
                    binding="HTTP-POST",
                    url=sp.acs_url,
                    param="SAMLResponse",
                    value=fields.get("SAMLResponse", ""),
                    relay_state=fields.get("RelayState"),
                    request_id=pending.request_id,
                ),
            )
        r = self._html(auto_post_form(sp.acs_url, fields, actor="Mock IdP"), policy=csp.AUTO_POST)
        if user is not None:
            self._new_session(r, user)
        return r

    def _new_session(self, r: Response, user: IdPUser) -> str:
        """A new IdP session for `user`, its cookie set on `r`."""
        token = self.sessions.create(user.username, self.config.session_lifetime)
        r.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/", secure=self._secure)
        return token


def create_idp_app(config: IdPConfig, sink: Sink | None = None) -> IdPApp:
    return IdPApp(config, sink)
