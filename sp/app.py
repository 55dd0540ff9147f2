"""The vendor-style Service Provider: a Werkzeug WSGI app factory on pysaml2 (docs/ARCHITECTURE.md, HTTP contract).

Every failure becomes a 4xx page naming a stable reason code (also in the `X-SAML-Reason`
header); nothing here answers 5xx or shows a traceback.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from samlkit import codec
from samlkit.events import Check, Event, Sink, emit, http_reporter
from samlkit.html import auto_post_form
from samlkit.metadata_xml import sp_metadata
from samlkit.safexml import UnsafeXML, parse
from sp import api
from sp.authn_request import Clients
from sp.contract.http import (
    ACCOUNT_PICKER,
    BOUNCE_FIELD,
    BOUNCE_HEADER,
    BROWSER_COOKIE,
    REASON_HEADER,
    SESSION,
    SESSION_COOKIE,
    Route,
)
from sp.contract.reasons import Reason, Refusal
from sp.mapping import decide
from sp.model import Account, SPConfig, Subscription
from sp.pages import home_page, logged_out_page, picker_page, refusal_page
from sp.store import SPStore
from sp.validate import Validator, issuers_of

# SAML caps RelayState at 80 bytes (bindings §3.4.3, §3.5.3); deep links get more room here, but
# not the 64 kB of a request line: the login URL stores it with each outstanding request.
MAX_RELAY_STATE = 1024


def local_path(relay_state: str | None) -> str | None:
    """RelayState is honoured only as a path on this SP, of at most MAX_RELAY_STATE characters."""
    if not relay_state:
        return None
    if len(relay_state) > MAX_RELAY_STATE:
        raise Refusal(
            Reason.RELAY_STATE_TOO_LONG,
            f"The RelayState is {len(relay_state)} characters long; at most {MAX_RELAY_STATE} are accepted.",
        )
    try:
        parts = urlsplit(relay_state)
    except ValueError:  # "//[evil" or "http://[::1": an unclosed IPv6 host; never a local path
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a path on this SP.") from None
    if parts.scheme or parts.netloc or not relay_state.startswith("/") or relay_state.startswith("//"):
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a path on this SP.")
    if "\\" in relay_state or any(ord(c) < 32 for c in relay_state):
        raise Refusal(Reason.RELAY_STATE_OFFSITE, f"The RelayState {relay_state!r} is not a plain local path.")
    return relay_state


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
        self.clients = Clients()
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
        request = Request(environ)
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
        emit(self.sink, Event(kind="verdict", actor="sp", ok=ok, code=code, message=message, **more))

    def refuse(self, r: Refusal, checks: list[Check] | None = None) -> Response:
        resp = Response(refusal_page(r.code, r.message, checks), status=r.status, mimetype="text/html")
        resp.headers[REASON_HEADER] = r.code
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def _html(self, html: str, status: int = 200) -> Response:
        r = Response(html, status=status, mimetype="text/html")
        r.headers["Cache-Control"] = "no-store"
        r.headers["X-Frame-Options"] = "DENY"
        return r

    def _route(self, request: Request) -> Response:
        path = request.path
        c = self.config
        if path == c.login_path:
            return self._login(request)
        if path.rstrip("/") == c.acs_path.rstrip("/"):
            return self._acs(request)
        routes = {
            Route.ROOT: self._home,
            Route.HOME: self._home,
            Route.WHOAMI: self._whoami,
            Route.PICK: self._pick,
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
        redirect = self.clients.redirect(self.config, sub, relay)
        self.store.add_request(redirect.request_id, browser, sub.idm_key, relay, self.config.request_lifetime)
        emit(
            self.sink,
            Event(
                kind="saml",
                actor="sp",
                direction="send",
                binding="HTTP-Redirect",
                url=redirect.location,
                param="SAMLRequest",
                value=redirect.saml_request,
                relay_state=relay,
                request_id=redirect.request_id,
                subscription=sub.idm_key,
            ),
        )
        resp = Response(status=302, headers={"Location": redirect.location, "Cache-Control": "no-store"})
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
            relay = local_path(relay_raw)
            validator, root, assertion = self._verify_trust(value, request)
            sub = validator.sub
            identity = validator.finish(root, assertion)
            if not self.store.remember_assertion(identity.assertion_id, sub.idm_key, identity.expires):
                raise validator.fail(
                    "Replay", Reason.REPLAYED, f"The Assertion {identity.assertion_id} was already used."
                )
            validator.ok("Replay", "assertion ID not seen before; remembered until it expires")
            try:
                decision = decide(sub, identity.name_id, identity.attributes)
            except Refusal as r:
                validator.checks.append(Check("Mapping", False, r.message))
                r.checks = validator.checks
                raise
            validator.ok("Mapping", decision.explanation)
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
        identity_text = f"{decision.source} {decision.value}"
        if len(decision.usable) > 1:
            token = secrets.token_urlsafe(18)
            browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(18)
            self.store.put_pick(
                token,
                {
                    "idm_key": sub.idm_key,
                    "logins": [a.login for a in decision.usable],
                    "browser": browser,
                    "relay": relay,
                    "identity": identity_text,
                },
                600,
            )
            self._verdict(
                ok=True,
                code=ACCOUNT_PICKER,
                message=f"{decision.explanation}: the user picks an account",
                checks=validator.checks,
                subscription=sub.idm_key,
            )
            resp = Response(status=303, headers={"Location": f"{Route.PICK}?t={token}"})
            self._cookie(resp, BROWSER_COOKIE, browser, max_age=30 * 24 * 3600)
            return resp
        account = decision.usable[0]
        self._verdict(
            ok=True,
            code=SESSION,
            message=f"Session opened for {account.login}",
            checks=validator.checks,
            login=account.login,
            subscription=sub.idm_key,
        )
        return self._open_session(sub, account, identity_text, relay or Route.HOME)

    def _needs_same_site_bounce(self, request: Request, value: str | None) -> bool:
        """Does this POST answer one of our requests, but arrive without the browser's cookie?

        A real IdP sits on another site: its form posts to the ACS cross-site, and the browser
        keeps SameSite=Lax cookies out of that POST, so the Response could not be bound to the
        browser that sent the request (on http the cookie cannot be SameSite=None). Posting the
        same fields again from a page of the SP itself makes it a same-site POST that carries the
        cookie. Nothing is trusted here: the bounced POST is validated like any other.
        """
        if not value or request.cookies.get(BROWSER_COOKIE) or request.form.get(BOUNCE_FIELD):
            return False
        try:
            root = parse(codec.decode_post(value, self.config.max_body), self.config.max_body)
        except (codec.DecodeError, UnsafeXML):
            return False  # the normal path refuses it with its precise reason
        ids = [root.get("InResponseTo"), *root.xpath(".//@InResponseTo")[:4]]
        return any(self.store.peek_request(i) for i in ids if i)

    def _same_site_bounce(self, value: str, relay_state: str | None) -> Response:
        fields = {"SAMLResponse": value, BOUNCE_FIELD: "1"}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        resp = self._html(auto_post_form(self.config.acs_path, fields, actor="Vendor SP"))
        resp.headers[BOUNCE_HEADER] = "same-site"
        return resp

    def _verify_trust(self, value: str | None, request: Request) -> tuple[Validator, etree._Element, etree._Element]:
        """Read the Response and find the subscription whose trust its signatures satisfy.

        Several subscriptions may trust the same IdP EntityID (one IdP, two onboardings). A
        solicited Response belongs to the subscription that sent the request; otherwise each
        candidate's certificate is tried in turn and the first whose signature verifies wins.
        When none does, the refusal is the first candidate's.
        """
        config = self.config
        reader = Validator(
            sub=None,
            sp_entity_id=config.entity_id,
            acs_url=config.acs_url,
            skew=config.clock_skew,
            take_request=self.store.take_request,
            peek_request=self.store.peek_request,
            seen=self.store.seen_assertion,
            browser=request.cookies.get(BROWSER_COOKIE),
            max_bytes=config.max_body,
        )
        root = reader.read(value)
        try:
            candidates = self._candidates(config, root)
        except Refusal as r:
            raise reader.fail("Trust", r.code, r.message) from None
        refusals: list[Refusal] = []
        for sub in candidates:
            validator = reader.for_subscription(sub)
            try:
                return validator, root, validator.check_trust(root)
            except Refusal as r:
                r.subscription = sub.idm_key
                refusals.append(r)
        raise refusals[0]  # _candidates never returns an empty list

    def _candidates(self, config: SPConfig, root: etree._Element) -> list[Subscription]:
        """The subscriptions that trust the Issuer of this Response, before any trust is given."""
        issuers = issuers_of(root)
        matching = [s for s in config.subscriptions if s.idp_entity_id and s.idp_entity_id in issuers]
        ready = [s for s in matching if s.saml_ready]
        if not ready:
            shown = ", ".join(sorted(repr(i) for i in issuers)) or "none"
            if any(not s.nds_enabled for s in matching):
                raise Refusal(
                    Reason.NDS_REQUIRED,
                    f"The subscription that trusts {shown} lacks the New Data Security Model, which SAML needs.",
                )
            if matching:
                raise Refusal(
                    Reason.SAML_NOT_CONFIGURED,
                    f"The subscription that trusts {shown} has no complete IdP trust (certificate, SSO URL).",
                )
            raise Refusal(Reason.ISSUER_MISMATCH, f"No subscription trusts the Issuer of this Response ({shown}).")
        if len(ready) > 1:
            # Some IdPs put InResponseTo only in the SubjectConfirmationData: look there too. This
            # only orders the candidates; each must still pass every check of its own trust.
            found = root.xpath(".//@InResponseTo")
            for irt in [root.get("InResponseTo"), *found]:
                req = self.store.peek_request(irt) if irt else None
                if req:
                    ready = [s for s in ready if s.idm_key == req["idm_key"]] or ready
                    break
        return ready

    def _open_session(self, sub: Subscription, account: Account, identity: str, target: str) -> Response:
        token = secrets.token_urlsafe(32)
        self.store.put_session(
            token,
            {
                "login": account.login,
                "subscription": sub.idm_key,
                "subscription_name": sub.name or sub.idm_key,
                "via": "saml",
                "role": account.role,
                "scope": account.scope,
                "identity": identity,
            },
            self.config.session_lifetime,
        )
        resp = Response(status=303, headers={"Location": target, "Cache-Control": "no-store"})
        self._cookie(resp, SESSION_COOKIE, token)
        return resp

    def _pick(self, request: Request) -> Response:
        token = request.values.get("t", "")
        pick = self.store.get_pick(token)
        if pick is None or pick.get("browser") != request.cookies.get(BROWSER_COOKIE):
            raise Refusal(
                Reason.PICK_EXPIRED, "This account choice has expired or belongs to another browser; sign in again."
            )
        sub = self.config.subscription(pick["idm_key"])
        if sub is None:
            raise Refusal(Reason.PICK_EXPIRED, "The subscription is gone; sign in again.")
        accounts = [a for a in sub.accounts if a.login in pick["logins"] and a.saml_enabled and a.active]
        if request.method == "GET":
            return self._html(
                picker_page(token, pick["identity"], [{"login": a.login, "role": a.role} for a in accounts])
            )
        chosen = request.form.get("login", "")
        account = next((a for a in accounts if a.login == chosen), None)
        if account is None:
            raise Refusal(Reason.BAD_REQUEST, f"{chosen!r} is not one of the accounts offered.")
        self.store.end_pick(token)
        self._verdict(
            ok=True,
            code=SESSION,
            message=f"Session opened for {account.login} (picked)",
            login=account.login,
            subscription=sub.idm_key,
        )
        return self._open_session(sub, account, pick["identity"], pick.get("relay") or Route.HOME)

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
        token = request.cookies.get(SESSION_COOKIE)
        session = self.store.get_session(token) if token else None
        if token:
            self.store.end_session(token)
        sub = self.config.subscription(session["subscription"]) if session else None
        target = sub.exit_url if sub and sub.exit_url else Route.LOGGED_OUT
        resp = Response(status=302, headers={"Location": target, "Cache-Control": "no-store"})
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    def _metadata(self, request: Request) -> Response:
        key = request.args.get("idm_key")
        sub = self.config.subscription(key) if key else None
        if key and sub is None:
            raise Refusal(Reason.UNKNOWN_SUBSCRIPTION, f"No subscription has the idm_key {key!r}.")
        if sub is not None and sub.saml_ready:
            xml = self.clients.metadata(self.config, sub)
        else:
            xml = sp_metadata(entity_id=self.config.entity_id, acs_url=self.config.acs_url)
        return Response(xml, mimetype="application/samlmetadata+xml")

    # -- accounts (the user API changes them) ----------------------------------------------

    def update_accounts(self, idm_key: str, accounts: list[Account]) -> None:
        with self.lock:
            subs = [replace(s, accounts=accounts) if s.idm_key == idm_key else s for s in self.config.subscriptions]
            self.config = replace(self.config, subscriptions=subs)
            config = self.config
        if self.on_accounts_changed:
            self.on_accounts_changed(config)


def create_sp_app(
    config: SPConfig,
    *,
    state_path: str | None = None,
    sink: Sink | None = None,
    on_accounts_changed: Callable[[SPConfig], None] | None = None,
) -> SPApp:
    return SPApp(config, state_path=state_path, sink=sink, on_accounts_changed=on_accounts_changed)
