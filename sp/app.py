"""The vendor-style Service Provider: a Werkzeug WSGI app factory on pysaml2 (docs/ARCHITECTURE.md, HTTP contract).

Every failure becomes a 4xx page naming a stable reason code (also in the `X-SAML-Reason`
header); nothing here answers 5xx or shows a traceback.
"""

from __future__ import annotations

import functools
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lxml import etree
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from samlkit import csp
from samlkit.app_request import AppRequest
from samlkit.app_response import AppResponse
from samlkit.events import Check, Event, Sink, emit, http_reporter
from samlkit.metadata_xml import sp_metadata, with_encryption_key
from sp import api, authn_request, logout, picker, slo, tenant
from sp.bounce import SAME_SITE_POLICY, answers_a_waiting_request, same_site_form
from sp.contract.http import (
    BOUNCE_FIELD,
    BOUNCE_HEADER,
    BROWSER_COOKIE,
    REASON_HEADER,
    SESSION,
    SESSION_COOKIE,
    Route,
)
from sp.contract.reasons import Reason, Refusal
from sp.mapping import MappingDecision, decide
from sp.model import Account, SPConfig, Subscription
from sp.pages import home_page, logged_out_page, refusal_page
from sp.relay_state import local_path
from sp.store import SPStore
from sp.throttle import ApiThrottle
from sp.validate import Identity, Validator


class SPApp:
    def __init__(
        self,
        config: SPConfig,
        *,
        state_path: str | None = None,
        sink: Sink | None = None,
        on_accounts_changed: Callable[[SPConfig], None] | None = None,
    ):
        self.sink = sink
        self.store = SPStore(state_path)
        self.api_throttle = ApiThrottle()
        self.on_accounts_changed = on_accounts_changed
        self.lock = threading.RLock()
        self.config = config
        self._wsgi = http_reporter(self._dispatch, "sp", lambda: self.sink)

    def reconfigure(self, config: SPConfig) -> None:
        with self.lock:
            self.config = config

    def close(self) -> None:
        self.store.close()

    def __call__(self, environ: dict, start_response):
        return self._wsgi(environ, start_response)

    # -- plumbing -------------------------------------------------------------------------

    @property
    def secure(self) -> bool:
        return self.config.base_url.startswith("https://")

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        # The browser cookie must come along on the IdP's cross-site POST to the ACS, which
        # SameSite=Lax forbids between two sites; browsers accept SameSite=None only when Secure.
        samesite = "None" if name == BROWSER_COOKIE and self.secure else "Lax"
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, secure=self.secure, samesite=samesite, path="/"
        )

    def _dispatch(self, environ: dict, start_response):
        request = AppRequest(environ)
        request.max_content_length = self.config.max_body
        request.max_form_memory_size = self.config.max_body
        try:
            response = self._route(request)
        except Refusal as r:
            response = self.refuse(r)
        except RequestEntityTooLarge:
            response = self.refuse(Refusal(Reason.MESSAGE_TOO_LARGE, "The request body is larger than the SP accepts."))
        except HTTPException as err:
            response = self.refuse(
                Refusal(Reason.BAD_REQUEST, err.description or "The request is not valid.", err.code)
            )
        except Exception as err:  # last resort: never a 5xx
            response = self.refuse(
                Refusal(Reason.BAD_REQUEST, f"The request could not be processed ({type(err).__name__}).")
            )
        return response(environ, start_response)

    def _verdict(self, *, ok: bool, code: str, message: str, **more: Any) -> None:
        """Tell the sink the SP's decision on a Response (with its checks, login, subscription...)."""
        if self.sink is not None:  # no listener: no event to build
            emit(self.sink, Event(kind="verdict", actor="sp", ok=ok, code=code, message=message, **more))

    def refuse(self, r: Refusal, checks: list[Check] | None = None) -> Response:
        resp = self._html(refusal_page(r.code, r.message, checks), r.status)
        resp.headers[REASON_HEADER] = r.code
        resp.headers.update(r.headers)
        return resp

    def _html(self, html: str, status: int = 200, policy: csp.Policy = csp.STATIC) -> Response:
        """An HTML page with its Content-Security-Policy (`samlkit.csp`; a page with no form by
        default); X-Frame-Options says the same to clients that know no CSP."""
        r = AppResponse(html, status=status, mimetype="text/html")
        r.headers["Cache-Control"] = "no-store"
        r.headers["X-Frame-Options"] = "SAMEORIGIN" if policy.frame_ancestors == csp.SELF else "DENY"
        r.headers[csp.HEADER] = policy.header
        return r

    def _route(self, request: Request) -> Response:
        path = request.path
        c = self.config
        if path == c.login_path:
            return self._login(request)
        if path.rstrip("/") == c.acs_path.rstrip("/"):
            return self._acs(request)
        if path.rstrip("/") == c.slo_path.rstrip("/"):
            return slo.endpoint(self, request)
        routes = {
            Route.ROOT: self._home,
            Route.HOME: self._home,
            Route.WHOAMI: self._whoami,
            Route.PICK: lambda r: picker.pick(self, r),
            Route.LOGOUT: self._logout,
            Route.LOGGED_OUT: lambda r: self._html(logged_out_page()),
            Route.METADATA: self._metadata,
            Route.USER_API: lambda r: api.handle(self, r),
            Route.USER_API.rstrip("/"): lambda r: api.handle(self, r),
        }
        handler = routes.get(path)
        if handler is None:
            raise Refusal(Reason.NOT_FOUND, f"There is no page at {path}.", 404)
        return handler(request)

    def _subscription(self, request: Request) -> Subscription:
        key = request.args.get("idm_key")
        sub = self.config.subscription(key)
        if sub is None:
            raise Refusal(
                Reason.UNKNOWN_SUBSCRIPTION, f"No subscription has the idm_key {key!r}; check the unique login URL."
            )
        return sub

    def session_of(self, request: Request) -> dict | None:
        token = request.cookies.get(SESSION_COOKIE)
        return self.store.get_session(token) if token else None

    # -- SP-initiated ---------------------------------------------------------------------

    def _login(self, request: Request) -> Response:
        sub = self._subscription(request)
        if not sub.nds_enabled:
            raise Refusal(Reason.NDS_REQUIRED, "SAML needs the New Data Security Model, which this subscription lacks.")
        if not sub.saml_ready:
            raise Refusal(
                Reason.SAML_NOT_CONFIGURED, "This subscription has no IdP trust yet (EntityID, certificate, SSO URL)."
            )
        relay = local_path(request.args.get("RelayState"))
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(18)
        redirect = authn_request.redirect(self.config, sub, relay)
        self.store.add_request(redirect.request_id, browser, sub.idm_key, relay, self.config.request_lifetime)
        if self.sink is not None:
            emit(
                self.sink,
                Event(
                    kind="saml",
                    actor="sp",
                    direction="send",
                    binding=redirect.binding,
                    url=redirect.location,
                    param="SAMLRequest",
                    value=redirect.saml_request,
                    relay_state=relay,
                    request_id=redirect.request_id,
                    subscription=sub.idm_key,
                ),
            )
        if redirect.form_html:  # the HTTP-POST binding
            resp = self._html(redirect.form_html, policy=csp.AUTO_POST)  # it posts to the IdP
        else:
            resp = AppResponse(status=302, headers={"Location": redirect.location, "Cache-Control": "no-store"})
        self._cookie(resp, BROWSER_COOKIE, browser, max_age=30 * 24 * 3600)
        return resp

    # -- the ACS --------------------------------------------------------------------------

    def _acs(self, request: Request) -> Response:
        if request.method != "POST":
            raise Refusal(Reason.BAD_REQUEST, "The ACS takes a SAMLResponse by HTTP-POST only.", 405)
        value = request.form.get("SAMLResponse")
        relay_raw = request.form.get("RelayState")
        if self._needs_same_site_bounce(request, value):
            return self._same_site_bounce(value or "", relay_raw)
        if self.sink is not None:  # request.url alone costs ~25 us
            emit(
                self.sink,
                Event(
                    kind="saml",
                    actor="sp",
                    direction="recv",
                    binding="HTTP-POST",
                    url=request.url,
                    param="SAMLResponse",
                    value=value or "",
                    relay_state=relay_raw,
                ),
            )
        validator: Validator | None = None
        try:
            chosen = tenant.chosen_key(relay_raw)  # "idm_key=KEY": the subscription, not a place to go
            relay = local_path(relay_raw) if chosen is None else None
            validator, root, assertion = self._verify_trust(value, request, chosen)
            decision, saml = self._accept(validator, root, assertion)
        except Refusal as r:
            checks = r.checks if r.checks is not None else (validator.checks if validator else [])
            self._verdict(
                ok=False,
                code=r.code,
                message=r.message,
                checks=checks,
                status=r.status,
                subscription=r.subscription or (validator.sub.idm_key if validator else None),
            )
            return self.refuse(r, checks)
        relay = relay or (validator.request or {}).get("relay_state")
        if len(decision.usable) > 1:
            return picker.offer_accounts(self, request, validator, decision, relay, saml)
        account = decision.usable[0]
        self._verdict(
            ok=True,
            code=SESSION,
            message=f"Session opened for {account.login}",
            checks=validator.checks,
            login=account.login,
            subscription=validator.sub.idm_key,
        )
        identity_text = f"{decision.source} {decision.value}"
        return picker.open_session(self, validator.sub, account, identity_text, relay or Route.HOME, saml)

    def _accept(
        self, validator: Validator, root: etree._Element, assertion: etree._Element
    ) -> tuple[MappingDecision, dict]:
        """The rest of the checks on a trusted Response, the replay cache, then the account mapping;
        with the mapping, what Single Logout needs to name the session (NameID, SessionIndex)."""
        sub = validator.sub
        identity = validator.finish(root, assertion)
        if not self.store.remember_assertion(identity.assertion_id, sub.idm_key, identity.expires):
            raise validator.fail("Replay", Reason.REPLAYED, f"The Assertion {identity.assertion_id} was already used.")
        validator.ok("Replay", "assertion ID not seen before; remembered until it expires")
        try:
            decision = decide(sub, identity.name_id, identity.attributes)
        except Refusal as r:
            validator.checks.append(Check("Mapping", False, r.message))
            r.checks = validator.checks
            raise
        validator.ok("Mapping", decision.explanation)
        return decision, _saml_session(identity)

    def _needs_same_site_bounce(self, request: Request, value: str | None) -> bool:
        if not value or request.cookies.get(BROWSER_COOKIE) or request.form.get(BOUNCE_FIELD):
            return False
        return answers_a_waiting_request(value, self.config.max_body, self.store.peek_request)

    def _same_site_bounce(self, value: str, relay_state: str | None) -> Response:
        resp = self._html(same_site_form(self.config.acs_path, value, relay_state), policy=SAME_SITE_POLICY)
        resp.headers[BOUNCE_HEADER] = "same-site"
        return resp

    def _verify_trust(
        self, value: str | None, request: Request, chosen: str | None = None
    ) -> tuple[Validator, etree._Element, etree._Element]:
        """Read the Response and find the subscription whose trust its signatures satisfy.

        Several subscriptions may trust the same IdP EntityID (one IdP, two onboardings). A
        solicited Response belongs to the subscription that sent the request, an IdP-initiated one
        to the subscription its RelayState `idm_key=KEY` chose (`sp.tenant`); otherwise each
        candidate's certificate is tried in turn and the first whose signature verifies wins.
        When none does, the refusal is the first candidate's.
        """
        config = self.config
        # One look per request ID within this POST (the subscription's choice, then the check
        # before taking it): the take itself still reads and removes the row atomically.
        peek = functools.lru_cache(maxsize=8)(self.store.peek_request)
        reader = Validator(
            sub=None,
            sp_entity_id=config.entity_id,
            acs_url=config.acs_url,
            skew=config.clock_skew,
            take_request=self.store.take_request,
            peek_request=peek,
            seen=self.store.seen_assertion,
            browser=request.cookies.get(BROWSER_COOKIE),
            max_bytes=config.max_body,
        )
        root = reader.read(value)
        try:
            found = tenant.candidates(config, root, peek, chosen)
        except Refusal as r:
            raise reader.fail("Trust", r.code, r.message) from None
        refusals: list[Refusal] = []
        for sub in found.subscriptions:
            validator = reader.for_subscription(sub)
            if found.note:
                validator.ok("Subscription", found.note)
            try:
                return validator, root, validator.check_trust(root)
            except Refusal as r:
                r.subscription = sub.idm_key
                refusals.append(r)
        raise refusals[0]  # tenant.candidates never returns an empty list

    # -- session pages --------------------------------------------------------------------

    def _home(self, request: Request) -> Response:
        subs = [(s.idm_key, s.name or s.idm_key, self.config.login_url(s.idm_key)) for s in self.config.subscriptions]
        return self._html(home_page(self.session_of(request), subs))

    def _whoami(self, request: Request) -> Response:
        s = self.session_of(request)
        if s is None:
            return Response(json.dumps({"authenticated": False}), status=401, mimetype="application/json")
        body = {
            "authenticated": True,
            "login": s["login"],
            "subscription": s["subscription"],
            "via": s["via"],
            "role": s.get("role"),
            "scope": s.get("scope"),
        }
        return Response(json.dumps(body), mimetype="application/json", headers={"Cache-Control": "no-store"})

    def _logout(self, request: Request) -> Response:
        return logout.handle(
            self, request, single_logout=lambda session, sub: slo.start_logout(self, request, session, sub)
        )

    def _metadata(self, request: Request) -> Response:
        key = request.args.get("idm_key")
        sub = self.config.subscription(key) if key else None
        if key and sub is None:
            raise Refusal(Reason.UNKNOWN_SUBSCRIPTION, f"No subscription has the idm_key {key!r}.")
        c = self.config
        xml = sp_metadata(
            entity_id=c.entity_id,
            acs_url=c.acs_url,
            cert_pem=c.cert_pem or None,
            slo_url=c.slo_url if c.key_pem else "",
            authn_requests_signed=bool(sub and sub.sign_authn_requests and c.key_pem),
        )
        if sub is not None and sub.encryption_cert_pem and sub.assertion_encryption != "plain":
            xml = with_encryption_key(xml, sub.encryption_cert_pem)
        return Response(xml, mimetype="application/samlmetadata+xml")

    # -- accounts (the user API changes them) ----------------------------------------------

    def update_accounts(self, idm_key: str, accounts: list[Account]) -> None:
        with self.lock:
            subs = [replace(s, accounts=accounts) if s.idm_key == idm_key else s for s in self.config.subscriptions]
            self.config = replace(self.config, subscriptions=subs)
            config = self.config
        if self.on_accounts_changed:
            self.on_accounts_changed(config)


def _saml_session(identity: Identity) -> dict:
    """What Single Logout needs to name this session to the IdP."""
    return {
        "name_id": identity.name_id,
        "name_id_format": identity.name_id_format,
        "session_index": identity.session_index,
    }


def create_sp_app(
    config: SPConfig,
    *,
    state_path: str | None = None,
    sink: Sink | None = None,
    on_accounts_changed: Callable[[SPConfig], None] | None = None,
) -> SPApp:
    return SPApp(config, state_path=state_path, sink=sink, on_accounts_changed=on_accounts_changed)
