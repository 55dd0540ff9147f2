"""Run the attack and fault scenarios against an SP and tell refusals, accepted forgeries and crashes apart.

Against the embedded SP (`run_embedded`) the battery starts both servers from a workspace,
gets a real AuthnRequest with the scripted browser before each scenario (so the message
answers a request and only the scenario's rule is broken), posts the bad message to the ACS
from the same browser session, and asks `/whoami` whether a session opened. Against any other
SP (`external_target`) it needs the ACS URL and the SP's EntityID (or its metadata, or its
login URL, from whose AuthnRequest both are read); the SP must trust the workspace's mock IdP.

Each row observes the HTTP status, the `X-SAML-Reason` code (if the SP sends one), the
redirect target, whether a session opened, and whether the SP fetched the battery's canary
URL (XXE, external references). Verdicts: `refused` (good), `ignored` (an off-site RelayState
dropped, the login itself legitimate: good), `ACCEPTED` (a forgery worked), `FETCHED` (the SP
followed a URL from the message), `CRASH` (5xx, a dropped connection or a timeout),
`skipped` (the scenario needs something this target lacks), `ERROR` (the battery could not
build the message). The baseline row sends a legitimate message: `accepted` there proves the
battery can tell; `REFUSED` means every other row is inconclusive.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from lxml import etree
from lxml import html as lxml_html

from harness.core.browser import ScriptedBrowser
from harness.core.certs import KeyPair, make_keypair
from harness.core.message_diff import MessageDiff, diff_messages, parse_leniently
from harness.core.workspace import Workspace, WorkspaceError, resolve
from mock_idp.model import IdPUser, SPSettings
from mock_idp.scenarios import BASELINE, CATALOGUE
from mock_idp.scenarios.base import (
    HARM_IMPERSONATION,
    HARM_OFFSITE_REDIRECT,
    NEEDS_FRESH_BROWSER,
    NEEDS_NO_REQUEST,
    NEEDS_PRIOR_LOGIN,
    NEEDS_REQUEST,
    NEEDS_UNSOLICITED_OFF,
    Context,
    Message,
    Scenario,
    serialize,
)
from samlkit import codec, ns, safexml
from sp.contract import BOUNCE_HEADER, REASON_HEADER, Route

REFUSED = "refused"
IGNORED = "ignored"
ACCEPTED = "ACCEPTED"
FETCHED = "FETCHED"
CRASH = "CRASH"
SKIPPED = "skipped"
ERROR = "ERROR"
BASELINE_OK = "accepted"
BASELINE_REFUSED = "REFUSED"
BAD_VERDICTS = frozenset({ACCEPTED, FETCHED, CRASH, ERROR, BASELINE_REFUSED})
OVERSIZED = 1024 * 1024  # a body this large may be refused by closing the connection


class BatteryError(Exception):
    """The battery cannot run against this target (in words for a tester)."""


# -- the target ---------------------------------------------------------------------------------


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


@dataclass
class Observed:
    status: int | None = None
    reason: str = ""  # the X-SAML-Reason header
    session: bool = False  # a session opened (or, without a session check, a 2xx/3xx without refusal)
    login: str | None = None  # who the session is for, when the SP says (embedded /whoami)
    location: str = ""
    fetched: list[str] = field(default_factory=list)  # canary paths the SP requested
    error: str = ""  # connection error or timeout
    closed: bool = False  # the SP hung up on an oversized body before answering: a refusal
    ms: float = 0.0

    @property
    def crashed(self) -> bool:
        return bool(self.error) or (self.status is not None and self.status >= 500)

    def short(self) -> str:
        if self.error:
            return self.error
        if self.closed:
            return "connection closed (oversized body)"
        return f"{self.status} {self.reason or '-'}"


@dataclass
class Result:
    scenario: str
    family: str
    rule: str
    summary: str
    safe_sp: str
    expected: list[str]
    observed: Observed
    verdict: str
    code_ok: bool | None = None  # the reason code is one a safe SP gives (None: the SP sent none)
    note: str = ""
    seconds: float = 0.0
    xml: str | None = None  # the bad message's XML, for a diff against the legitimate one
    legitimate_xml: str | None = None  # the legitimate message of the same login, aligned (`legitimate_counterpart`)

    @property
    def bad(self) -> bool:
        return self.verdict in BAD_VERDICTS

    def to_dict(self, *, xml: bool = False) -> dict:
        d = asdict(self)
        if not xml:
            d.pop("xml")
            d.pop("legitimate_xml")
        return d


@dataclass
class Report:
    target: dict
    results: list[Result]
    seconds: float
    legitimate_xml: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out

    @property
    def bad(self) -> list[Result]:
        return [r for r in self.results if r.bad]

    @property
    def exit_code(self) -> int:
        """0 when every attack was refused (or harmlessly ignored) and the baseline accepted."""
        return 1 if self.bad else 0

    def result(self, name: str) -> Result | None:
        return next((r for r in self.results if r.scenario == name), None)

    def to_dict(self, *, xml: bool = False) -> dict:
        d = {
            "target": self.target,
            "seconds": round(self.seconds, 3),
            "counts": self.counts,
            "ok": not self.bad,
            "results": [r.to_dict(xml=xml) for r in self.results],
        }
        if xml:
            d["legitimate_xml"] = self.legitimate_xml
        return d


# -- the canary: a URL the SP must never fetch ------------------------------------------------------


class Canary:
    """A loopback HTTP server that records every path requested from it."""

    def __init__(self, host: str = "127.0.0.1"):
        hits = self.hits = []  # type: list[str]
        lock = self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                with lock:
                    hits.append(self.path)
                body = b'<!ENTITY % leak "">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.url = f"http://{host}:{self._server.server_port}/canary"

    def start(self) -> Canary:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def mark(self) -> int:
        with self._lock:
            return len(self.hits)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return list(self.hits[mark:])

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- talking to the SP ------------------------------------------------------------------------------


@dataclass
class AuthnRequestInfo:
    id: str
    issuer: str
    acs_url: str | None
    relay_state: str | None


class LoginError(Exception):
    def __init__(self, message: str, observed: Observed | None = None):
        super().__init__(message)
        self.observed = observed


def _read_authn_request(value: str, *, deflated: bool, relay_state: str | None) -> AuthnRequestInfo:
    try:
        xml = codec.decode_redirect(value) if deflated else codec.b64decode_strict(value)
        root = safexml.parse(xml, codec.MAX_MESSAGE_BYTES)
    except (codec.DecodeError, safexml.UnsafeXML) as err:
        raise LoginError(f"the SP's SAMLRequest cannot be read ({err})") from err
    issuer = root.find(ns.q(ns.SAML, "Issuer"))
    if not root.get("ID"):
        raise LoginError("the SP's AuthnRequest has no ID")
    return AuthnRequestInfo(
        id=root.get("ID"),
        issuer=issuer.xpath("string()") if issuer is not None else "",
        acs_url=root.get("AssertionConsumerServiceURL"),
        relay_state=relay_state or None,
    )


def start_login(session: requests.Session, login_url: str, timeout: float = 15.0) -> AuthnRequestInfo:
    """GET the SP's login URL and read the AuthnRequest it sends (HTTP-Redirect or an HTTP-POST form).

    Redirects inside the SP are followed; the IdP is never contacted.
    """
    url = login_url
    for _ in range(6):
        started = time.perf_counter()
        try:
            r = session.get(url, allow_redirects=False, timeout=timeout)
        except requests.RequestException as err:
            raise LoginError(f"GET {url} failed: {err}", Observed(error=_error_text(err))) from err
        if r.status_code >= 500:
            obs = Observed(status=r.status_code, reason=r.headers.get(REASON_HEADER, ""))
            obs.ms = (time.perf_counter() - started) * 1000
            raise LoginError(f"the login URL answered {r.status_code}", obs)
        location = r.headers.get("Location")
        if r.is_redirect and location:
            nxt = urljoin(url, location)
            query = parse_qs(urlsplit(nxt).query)
            if "SAMLRequest" in query:
                relay = query.get("RelayState", [None])[0]
                return _read_authn_request(query["SAMLRequest"][0], deflated=True, relay_state=relay)
            url = nxt
            continue
        if "SAMLRequest" in r.text:
            try:
                doc = lxml_html.fromstring(r.text)
            except (ValueError, etree.ParserError) as err:
                raise LoginError(f"the login page cannot be read ({err})") from err
            for form in doc.forms:
                fields = {i.name: (i.value or "") for i in form.inputs if i.name}
                if "SAMLRequest" in fields:
                    return _read_authn_request(
                        fields["SAMLRequest"], deflated=False, relay_state=fields.get("RelayState")
                    )
        raise LoginError(
            f"the login URL answered {r.status_code} without an AuthnRequest"
            + (f" ({r.headers.get(REASON_HEADER)})" if r.headers.get(REASON_HEADER) else "")
        )
    raise LoginError("the login URL redirects too often without reaching an AuthnRequest")


def _error_text(err: Exception) -> str:
    if isinstance(err, requests.Timeout):
        return "timeout"
    if isinstance(err, requests.ConnectionError):
        return "connection error"
    return type(err).__name__


def is_offsite(location: str, base_url: str) -> bool:
    """True when a browser following `location` (from `base_url`) would leave the SP's origin."""
    if not location:
        return False
    cleaned = "".join(c for c in location if c not in "\t\r\n").replace("\\", "/").strip()
    scheme = urlsplit(cleaned).scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return True
    target, base = urlsplit(urljoin(base_url, cleaned)), urlsplit(base_url)
    return (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower())


# -- the runner -------------------------------------------------------------------------------------


def _same_site_bounce(r: requests.Response, acs_url: str) -> tuple[str, dict[str, str]] | None:
    """The SP's same-site re-post page (see sp.app): its form's action and fields, or None."""
    if r.status_code != 200 or BOUNCE_HEADER not in r.headers:
        return None
    try:
        form = lxml_html.fromstring(r.text).forms[0]
    except (IndexError, ValueError, etree.ParserError):
        return None
    return urljoin(acs_url, form.action or acs_url), dict(form.form_values())


class Battery:
    """Runs scenarios against one target, one fresh browser each."""

    def __init__(self, target: Target, context: Context, *, canary: Canary | None = None):
        self.target = target
        self.context = context if canary is None else replace(context, canary_url=canary.url)
        self.canary = canary

    def run(
        self,
        scenarios: Iterable[Scenario] | None = None,
        *,
        baseline: bool = True,
        on_result: Callable[[Result], None] | None = None,
    ) -> Report:
        started = time.perf_counter()
        todo = ([BASELINE] if baseline else []) + list(CATALOGUE if scenarios is None else scenarios)
        results = []
        for s in todo:
            r = self.run_one(s)
            results.append(r)
            if on_result is not None:
                on_result(r)
        try:
            legit = self.context.legitimate().xml
        except Exception:  # only for display
            legit = None
        return Report(
            target=self.target.to_dict(),
            results=results,
            seconds=time.perf_counter() - started,
            legitimate_xml=legit.decode("utf-8", "replace") if legit else None,
        )

    # -- one scenario ---------------------------------------------------------------------

    def run_one(self, s: Scenario) -> Result:
        started = time.perf_counter()
        result = self._result(s, Observed(), SKIPPED)
        try:
            self._run(s, result)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    def _result(self, s: Scenario, observed: Observed, verdict: str, note: str = "") -> Result:
        return Result(
            scenario=s.name,
            family=s.family,
            rule=s.rule,
            summary=s.summary,
            safe_sp=s.safe_sp,
            expected=["session"] if s.legitimate else sorted(s.expect),
            observed=observed,
            verdict=verdict,
            note=note,
        )

    def _run(self, s: Scenario, result: Result) -> None:
        t = self.target
        needs = s.needs
        if NEEDS_UNSOLICITED_OFF in needs and t.set_unsolicited is None and t.unsolicited_allowed is not False:
            result.note = "needs an SP that refuses IdP-initiated logins (say so with --no-unsolicited)"
            return
        if NEEDS_REQUEST in needs and not t.login_url:
            result.note = "needs the SP's login URL (--login-url) to obtain an AuthnRequest"
            return
        restore = None
        if NEEDS_UNSOLICITED_OFF in needs and t.set_unsolicited is not None:
            t.set_unsolicited(False)
            restore = t.unsolicited_allowed if t.unsolicited_allowed is not None else True
        browsers: list[ScriptedBrowser] = []
        try:
            self._run_in_browsers(s, result, browsers)
        finally:
            for b in browsers:
                b.close()
            if restore is not None and t.set_unsolicited is not None:
                t.set_unsolicited(restore)

    def _run_in_browsers(self, s: Scenario, result: Result, browsers: list[ScriptedBrowser]) -> None:
        t = self.target
        needs = s.needs
        browser = ScriptedBrowser(timeout=t.timeout)
        browsers.append(browser)
        ctx = self.context
        if ctx.now is None:  # one instant for the bad message and its legitimate counterpart
            ctx = replace(ctx, now=dt.datetime.now(dt.UTC))
        if NEEDS_NO_REQUEST not in needs and t.login_url:
            try:
                req = start_login(browser.session, t.login_url, t.timeout)
            except LoginError as err:
                if err.observed is not None and err.observed.crashed:
                    result.observed, result.verdict = err.observed, CRASH
                    result.note = f"the login step crashed: {err}"
                    return
                if NEEDS_REQUEST in needs or s.legitimate:
                    result.note = f"no AuthnRequest: {err}"
                    return
                req = None
                result.note = f"sent unsolicited ({err})"
            if req is not None:
                ctx = replace(ctx, in_response_to=req.id, relay_state=req.relay_state)
        if NEEDS_PRIOR_LOGIN in needs:
            saved = browser.session.cookies.copy()
            legit = ctx.legitimate()
            first = self._post(browser, legit)
            if first.crashed or not self._accepted(first):
                result.note = f"the legitimate login it builds on was not accepted ({first.short()})"
                result.observed = first
                if first.crashed:
                    result.verdict = CRASH
                return
            browser.session.cookies = saved  # the same browser, its new session gone (logged out)
            ctx = replace(ctx, previous=legit)
        try:
            message = s.build(ctx)
        except Exception as err:  # a scenario bug is reported, not raised
            result.verdict, result.note = ERROR, f"the scenario could not be built ({type(err).__name__}: {err})"
            return
        if message.xml is not None and len(message.xml) <= 256 * 1024:
            result.xml = message.xml.decode("utf-8", "replace")
            try:
                result.legitimate_xml = legitimate_counterpart(ctx, message.xml).decode("utf-8", "replace")
            except Exception:  # only for display; the report's legitimate message stands in
                result.legitimate_xml = None
        poster = browser
        if NEEDS_FRESH_BROWSER in needs:
            poster = ScriptedBrowser(timeout=t.timeout)
            browsers.append(poster)
        obs = self._post(poster, message)
        result.observed = obs
        result.verdict = self._verdict(s, obs)
        if obs.reason:
            result.code_ok = s.legitimate or obs.reason in s.expect
        if obs.fetched:
            result.note = f"the SP fetched {', '.join(obs.fetched)}"
        elif obs.closed:
            result.note = "the SP closed the connection on the oversized body (a refusal)"
        elif result.verdict == IGNORED and s.harm == HARM_OFFSITE_REDIRECT:
            result.note = f"logged in, but did not follow the RelayState (went to {obs.location or 'a page'})"
        elif result.verdict == IGNORED:
            result.note = f"logged in {obs.login} (the attacker's own account), not the victim: the decoy was ignored"

    def _post(self, browser: ScriptedBrowser, message: Message) -> Observed:
        t = self.target
        mark = self.canary.mark() if self.canary else 0
        started = time.perf_counter()
        obs = Observed()
        try:
            r = browser.session.post(t.acs_url, data=message.fields, allow_redirects=False, timeout=t.timeout)
            bounce = _same_site_bounce(r, t.acs_url)
            if bounce is not None:  # the SP re-posts from its own page, as a browser's script would
                r.close()
                r = browser.session.post(bounce[0], data=bounce[1], allow_redirects=False, timeout=t.timeout)
        except requests.ConnectionError as err:
            if sum(len(v) for v in message.fields.values()) > OVERSIZED:
                obs.closed = True  # many servers answer 413 and hang up without reading the rest
            else:
                obs.error = _error_text(err)
        except requests.RequestException as err:
            obs.error = _error_text(err)
        else:
            obs.status = r.status_code
            obs.reason = r.headers.get(REASON_HEADER, "")
            obs.location = r.headers.get("Location", "")
            r.close()
        obs.ms = (time.perf_counter() - started) * 1000
        if self.canary:
            obs.fetched = self.canary.since(mark)
        if not obs.crashed and t.session_url:
            obs.session, obs.login = self._session(browser)
        return obs

    def _session(self, browser: ScriptedBrowser) -> tuple[bool, str | None]:
        t = self.target
        try:
            r = browser.session.get(t.session_url, allow_redirects=False, timeout=t.timeout)
        except requests.RequestException:
            return False, None
        if not 200 <= r.status_code < 300:
            return False, None
        if not t.whoami_json:
            return True, None
        try:
            body = r.json()
        except ValueError:
            return False, None
        if not isinstance(body, dict) or not body.get("authenticated"):
            return False, None
        return True, body.get("login")

    def _accepted(self, obs: Observed) -> bool:
        """A session opened, or (when the SP cannot be asked) it answered 2xx/3xx without a refusal code."""
        if obs.session:
            return True
        return obs.status is not None and obs.status < 400 and not obs.reason

    def _verdict(self, s: Scenario, obs: Observed) -> str:
        if obs.crashed:
            return CRASH
        accepted = self._accepted(obs)
        if s.legitimate:
            return BASELINE_OK if accepted else BASELINE_REFUSED
        if obs.fetched:
            return FETCHED
        if s.harm == HARM_OFFSITE_REDIRECT:
            if is_offsite(obs.location, self.target.acs_url):
                return ACCEPTED
            return IGNORED if accepted else REFUSED
        if s.harm == HARM_IMPERSONATION and accepted and obs.login and self.target.victim_logins:
            return ACCEPTED if obs.login in self.target.victim_logins else IGNORED
        return ACCEPTED if accepted else REFUSED


# -- the legitimate message to compare a bad one with ----------------------------------------------


def legitimate_counterpart(ctx: Context, bad_xml: bytes | None) -> bytes:
    """The legitimate Response of `ctx`, carrying the IDs the bad message uses, signed as the IdP signs it.

    Built from the same context as the bad message (the same instant, the same request answered)
    and with its Response ID, Assertion ID and SessionIndex (a transient NameID too), so that a
    diff against the bad message shows what the attacker changed, not the fresh random IDs and the
    signature values that follow from them. Where the bad message holds several Responses or
    Assertions (wrapping), the ones its signatures reference are taken.
    """
    resp, assertion = ctx.build()
    try:
        bad = parse_leniently(bad_xml) if bad_xml else None
    except etree.XMLSyntaxError:
        bad = None
    if bad is not None:
        referenced = {
            uri[1:] for ref in bad.iter(ns.q(ns.DS, "Reference")) if (uri := ref.get("URI") or "").startswith("#")
        }

        def pick(tag: str) -> etree._Element | None:
            found = [el for el in bad.iter(tag) if el.get("ID")]
            return next((el for el in found if el.get("ID") in referenced), found[0] if found else None)

        theirs = pick(ns.q(ns.SAMLP, "Response"))
        if theirs is not None:
            resp.set("ID", theirs.get("ID"))
        theirs = pick(ns.q(ns.SAML, "Assertion"))
        if theirs is not None:
            assertion.set("ID", theirs.get("ID"))
            statement = ns.q(ns.SAML, "AuthnStatement")
            mine, their_stmt = assertion.find(statement), theirs.find(statement)
            if mine is not None and their_stmt is not None and their_stmt.get("SessionIndex"):
                mine.set("SessionIndex", their_stmt.get("SessionIndex"))
            name_id = f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}"
            my_name, their_name = assertion.find(name_id), theirs.find(name_id)
            if ctx.sp.nameid_format == "transient" and my_name is not None and their_name is not None:
                my_name.text = their_name.text  # random either way
    ctx.sign(resp, assertion, "both")
    return serialize(resp)


def result_diff(result: Result, legitimate_xml: str | None = None, *, context: int = 3) -> MessageDiff | None:
    """The diff of the row's bad message against its legitimate counterpart (else `legitimate_xml`,
    the report's); None when the row has no XML message (see `no_diff_reason`)."""
    legit = result.legitimate_xml or legitimate_xml
    if result.xml is None or legit is None:
        return None
    return diff_messages(legit, result.xml, context=context, names=("legitimate", result.scenario))


def no_diff_reason(result: Result) -> str:
    if result.verdict == SKIPPED:
        return f"The scenario was skipped ({result.note or 'not run'}), so there is no message to compare."
    if result.verdict == ERROR:
        return f"The scenario could not be built ({result.note}), so there is no message to compare."
    if result.xml is None:
        return (
            "This scenario sends no XML to compare: its SAMLResponse field is missing, empty, not base64 or not "
            "XML, or the message is over 256 KB (the scenario's description says what it sends)."
        )
    return "The legitimate message is not known, so there is nothing to compare with."


# -- targets: the embedded SP, or any SP ------------------------------------------------------------


@functools.cache
def foreign_keypair() -> KeyPair:
    """The attacker's key pair (made once per process)."""
    return make_keypair("attacker.example", organization="Evil Corp")


def _pick_users(users: list[IdPUser], good: Callable[[IdPUser], bool], user: str | None, victim: str | None):
    by_name = {u.username: u for u in users}
    for name in (user, victim):
        if name and name not in by_name:
            raise BatteryError(f"the mock IdP has no user {name!r} (have: {', '.join(by_name) or 'none'})")
    usable = [u for u in users if good(u)]
    attacker = by_name[user] if user else (usable[0] if usable else (users[0] if users else None))
    if attacker is None:
        raise BatteryError("the workspace has no IdP user to log in with")
    others = [u for u in usable if u.username != attacker.username]
    target = by_name[victim] if victim else (others[0] if others else attacker)
    return attacker, target


def embedded_target(
    servers,  # harness.core.servers.Servers (imported lazily: it starts the apps)
    *,
    idm_key: str | None = None,
    user: str | None = None,
    victim: str | None = None,
) -> tuple[Target, Context]:
    """The embedded SP of running `servers`, and a context for the subscription `idm_key`."""
    from harness.core.flow import expect

    spc = servers.sp_app.config
    idp = servers.idp_app.config
    ready = [s for s in spc.subscriptions if s.saml_ready]
    if idm_key:
        sub = spc.subscription(idm_key)
        if sub is None:
            raise BatteryError(f"no subscription has the idm_key {idm_key!r}")
    else:
        trusting = [s for s in ready if s.idp_entity_id == idp.entity_id]
        sub = (trusting or ready or [None])[0]
        if sub is None:
            raise BatteryError("the workspace has no subscription with a complete IdP trust")
    settings = idp.sp(spc.entity_id) or SPSettings(entity_id=spc.entity_id, acs_url=spc.acs_url)
    settings = replace(settings, acs_url=spc.acs_url, key_pem=None, cert_pem=None)
    logins: dict[str, tuple[str, ...]] = {}

    def good(u: IdPUser) -> bool:
        e = expect(servers, sub.idm_key, u.username)
        logins[u.username] = tuple(e.logins)
        return e.outcome == "session"

    attacker, target_user = _pick_users(idp.users, good, user, victim)

    def set_unsolicited(allowed: bool) -> None:
        cfg = servers.sp_app.config
        subs = [replace(s, allow_idp_initiated=allowed) if s.idm_key == sub.idm_key else s for s in cfg.subscriptions]
        servers.sp_app.reconfigure(replace(cfg, subscriptions=subs))

    foreign = foreign_keypair()
    target = Target(
        acs_url=spc.acs_url,
        entity_id=spc.entity_id,
        login_url=spc.login_url(sub.idm_key),
        session_url=servers.sp_base + Route.WHOAMI,
        whoami_json=True,
        unsolicited_allowed=sub.allow_idp_initiated,
        set_unsolicited=set_unsolicited,
        victim_logins=logins.get(target_user.username, ()),
        name=f"embedded SP (subscription {sub.idm_key})",
    )
    context = Context(
        idp_entity_id=idp.entity_id,
        idp_key_pem=idp.key_pem,
        idp_cert_pem=idp.cert_pem,
        sp=settings,
        user=attacker,
        victim=target_user,
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
    )
    return target, context


def read_sp_metadata(xml: bytes) -> tuple[str, str]:
    """(EntityID, the HTTP-POST AssertionConsumerService URL) from SP metadata."""
    try:
        root = safexml.parse(xml, codec.MAX_MESSAGE_BYTES)
    except safexml.UnsafeXML as err:
        raise BatteryError(f"the SP metadata cannot be read: {err.message}") from err
    entity = root if root.tag == ns.q(ns.MD, "EntityDescriptor") else root.find(f".//{ns.q(ns.MD, 'EntityDescriptor')}")
    if entity is None or not entity.get("entityID"):
        raise BatteryError("the SP metadata has no EntityDescriptor with an entityID")
    services = entity.findall(f"{ns.q(ns.MD, 'SPSSODescriptor')}/{ns.q(ns.MD, 'AssertionConsumerService')}")
    post = [s for s in services if s.get("Binding") == ns.BINDING_POST and s.get("Location")]
    if not post:
        raise BatteryError("the SP metadata lists no HTTP-POST AssertionConsumerService")
    default = [s for s in post if s.get("isDefault") == "true"]
    return entity.get("entityID"), (default or post)[0].get("Location")


def external_target(
    ws: Workspace,
    *,
    acs_url: str | None = None,
    entity_id: str | None = None,
    login_url: str | None = None,
    metadata: bytes | None = None,
    session_url: str | None = None,
    unsolicited_allowed: bool | None = None,
    user: str | None = None,
    victim: str | None = None,
    timeout: float = 15.0,
) -> tuple[Target, Context]:
    """Any SP that trusts the workspace's mock IdP (its EntityID and signing certificate)."""
    if metadata is not None:
        meta_entity, meta_acs = read_sp_metadata(metadata)
        entity_id, acs_url = entity_id or meta_entity, acs_url or meta_acs
    if login_url and not (acs_url and entity_id):
        with requests.Session() as s:
            try:
                req = start_login(s, login_url, timeout)
            except LoginError as err:
                raise BatteryError(f"cannot read the SP's AuthnRequest from {login_url}: {err}") from err
        entity_id, acs_url = entity_id or req.issuer, acs_url or req.acs_url
    if not acs_url or not entity_id:
        raise BatteryError(
            "give the SP's ACS URL and EntityID (--sp-acs, --sp-entity-id), its metadata, or its login URL"
        )
    prof = ws.idp_profile()
    try:
        kp = ws.keypair(prof.signing_key)
    except WorkspaceError as err:
        raise BatteryError(f"the mock IdP's signing key cannot be loaded: {err}") from err
    known = next((s for s in ws.idp_for_sps() if resolve(s.entity_id, "", "") == entity_id), None)
    settings = SPSettings(entity_id=entity_id, acs_url=acs_url)
    if known is not None:
        settings = replace(
            settings,
            nameid_format=known.nameid_format,
            nameid_source=known.nameid_source,
            attributes=list(known.attributes),
        )
    attacker, target_user = _pick_users(ws.users(), lambda u: True, user, victim)
    foreign = foreign_keypair()
    target = Target(
        acs_url=acs_url,
        entity_id=entity_id,
        login_url=login_url,
        session_url=session_url,
        unsolicited_allowed=unsolicited_allowed,
        name=f"SP {entity_id}",
        timeout=timeout,
    )
    context = Context(
        idp_entity_id=prof.entity_id,
        idp_key_pem=kp.key_pem,
        idp_cert_pem=kp.cert_pem,
        sp=settings,
        user=attacker,
        victim=target_user,
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
    )
    return target, context


def run_embedded(
    ws: Workspace,
    *,
    idm_key: str | None = None,
    user: str | None = None,
    victim: str | None = None,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Start both servers from `ws` on free loopback ports, run the battery, stop them."""
    from harness.core.servers import Servers

    with Servers(ws, sp_port=0, idp_port=0) as servers, Canary() as canary:
        target, context = embedded_target(servers, idm_key=idm_key, user=user, victim=victim)
        return Battery(target, context, canary=canary).run(scenarios, on_result=on_result)


def run_external(
    target: Target,
    context: Context,
    *,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    with Canary() as canary:
        return Battery(target, context, canary=canary).run(scenarios, on_result=on_result)
