"""Many logins at once: N logins across C concurrent scripted browsers, each one fresh.

Every login runs in its own `ScriptedBrowser` (its own cookie jar), so the SP and the IdP see
C independent people signing in at the same moment. Afterwards each browser asks `/whoami`:
it must be in the session of *its* user (the account the SP's mapping predicts for that user)
and never in anyone else's. The SP's state is then checked login by login: every assertion ID
is in the replay cache, and no AuthnRequest of a completed login is still outstanding.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from lxml import html as lxml_html

from harness.core import runner
from harness.core.browser import Page, ScriptedBrowser
from harness.core.flow import expect
from harness.core.runner import credentials_for
from harness.core.servers import Servers
from samlkit import codec, ns
from samlkit.safexml import UnsafeXML, parse
from sp.contract import SESSION


@dataclass
class Login:
    """One login of the run, as one browser saw it."""

    index: int
    user: str
    expected: str  # the login the session must belong to ("" when a refusal is expected)
    expected_outcome: str  # "session" or a refusal code
    started: float = 0.0  # seconds after the run started
    seconds: float = 0.0
    login: str | None = None  # whose session the browser ended in
    reason: str = ""  # the SP's reason code when refused
    error: str = ""  # empty: as expected
    request_id: str | None = None  # SP-initiated: the AuthnRequest the SP sent
    assertion_id: str | None = None  # the Assertion the IdP issued
    session_token: str | None = None


@dataclass
class LoadResult:
    kind: str
    idm_key: str
    users: list[str]
    concurrency: int
    wall_seconds: float
    logins: list[Login] = field(default_factory=list)
    state_problems: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Login]:
        return [x for x in self.logins if x.error]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.state_problems

    @property
    def throughput(self) -> float:
        return len(self.logins) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of login latency in seconds (p in 0..100)."""
        values = sorted(x.seconds for x in self.logins)
        if not values:
            return 0.0
        rank = max(1, math.ceil(p / 100 * len(values)))
        return values[min(rank, len(values)) - 1]

    def latency(self) -> dict[str, float]:
        return {
            "p50": self.percentile(50),
            "p90": self.percentile(90),
            "p99": self.percentile(99),
            "max": self.percentile(100),
        }

    def peak_overlap(self) -> int:
        """The most logins that were in progress at the same moment."""
        edges = sorted([(x.started, 1) for x in self.logins] + [(x.started + x.seconds, -1) for x in self.logins])
        peak = current = 0
        for _, step in edges:
            current += step
            peak = max(peak, current)
        return peak

    def sessions_by_user(self) -> dict[str, Counter]:
        out: dict[str, Counter] = {}
        for x in self.logins:
            out.setdefault(x.user, Counter())[x.login or f"(no session: {x.reason or 'error'})"] += 1
        return out

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "idm_key": self.idm_key,
            "users": self.users,
            "logins": len(self.logins),
            "concurrency": self.concurrency,
            "peak_overlap": self.peak_overlap(),
            "wall_seconds": self.wall_seconds,
            "throughput_per_second": self.throughput,
            "latency_seconds": self.latency(),
            "errors": [{"index": x.index, "user": x.user, "error": x.error} for x in self.errors],
            "sessions": {u: dict(c) for u, c in self.sessions_by_user().items()},
            "state_problems": self.state_problems,
            "ok": self.ok,
        }

    def report(self) -> str:
        lat = self.latency()
        ms = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in lat.items())
        who = ", ".join(
            f"{u} → " + " + ".join(f"{login} ×{n}" for login, n in c.items())
            for u, c in self.sessions_by_user().items()
        )
        flow = "SP-initiated" if self.kind == "sp" else "IdP-initiated"
        lines = [
            f"{len(self.logins)} {flow} logins to subscription {self.idm_key} with {self.concurrency} concurrent "
            f"browsers in {self.wall_seconds:.2f} s (at most {self.peak_overlap()} at once)",
            f"throughput  {self.throughput:.1f} logins/s",
            f"latency     {ms}",
            f"errors      {len(self.errors)}",
            f"sessions    {who}",
        ]
        for x in self.errors[:10]:
            lines.append(f"  login #{x.index} ({x.user}): {x.error}")
        if len(self.errors) > 10:
            lines.append(f"  … and {len(self.errors) - 10} more")
        if self.state_problems:
            lines.append("SP state    INCONSISTENT")
            lines.extend(f"  {p}" for p in self.state_problems[:10])
        else:
            lines.append(
                "SP state    every assertion ID is in the replay cache; no AuthnRequest of a completed login is "
                "still outstanding"
            )
        return "\n".join(lines)


def _request_id(history: list[Page]) -> str | None:
    """The ID of the AuthnRequest in the SP's redirect to the IdP."""
    for page in history:
        location = page.headers.get("Location", "")
        if "SAMLRequest=" in location:
            value = parse_qs(urlsplit(location).query).get("SAMLRequest", [""])[0]
            try:
                return parse(codec.decode_redirect(value)).get("ID")
            except (codec.DecodeError, UnsafeXML):
                return None
    return None


def _assertion_id(history: list[Page]) -> str | None:
    """The ID of the Assertion in the IdP's self-submitting form."""
    for page in history:
        if "SAMLResponse" not in page.text:
            continue
        try:
            doc = lxml_html.fromstring(page.text)
        except (ValueError, lxml_html.etree.ParserError):
            continue
        for value in doc.xpath('//input[@name="SAMLResponse"]/@value'):
            try:
                root = parse(codec.decode_post(value))
            except (codec.DecodeError, UnsafeXML):
                return None
            a = root.find(ns.q(ns.SAML, "Assertion"))
            return a.get("ID") if a is not None else None
    return None


def _one_login(servers: Servers, login: Login, kind: str, idm_key: str, pick: str | None, epoch: float) -> Login:
    browser = ScriptedBrowser(credentials_for(servers, login.user, pick=pick))
    start = servers.login_url(idm_key) if kind == "sp" else servers.idp_start_url(user=login.user, idm_key=idm_key)
    t0 = time.perf_counter()
    login.started = t0 - epoch
    try:
        seen = runner.walk(browser, start, servers.sp_base)
    finally:
        browser.close()
    login.seconds = time.perf_counter() - t0
    return judge(login, seen, kind)


def judge(login: Login, seen: runner.Observations, kind: str) -> Login:
    """Fill `login` from what its browser saw, with an error when it is not the predicted outcome."""
    if seen.error:
        login.error = seen.error
        return login
    login.login = seen.session_login
    login.reason = seen.final_reason
    login.session_token = seen.session_token
    login.request_id = _request_id(seen.pages) if kind == "sp" else None
    login.assertion_id = _assertion_id(seen.pages)
    if login.expected_outcome == SESSION:
        if login.login != login.expected:
            got = (
                f"the session of {login.login}" if login.login else f"no session ({login.reason or seen.final_status})"
            )
            login.error = f"expected the session of {login.expected}, got {got}"
    elif login.login is not None or login.reason != login.expected_outcome:
        got = login.login or login.reason or seen.final_status
        login.error = f"expected the refusal {login.expected_outcome}, got {got}"
    return login


def _check_state(servers: Servers, result: LoadResult) -> None:
    store = servers.sp_app.store
    problems = result.state_problems
    completed = [x for x in result.logins if not x.error]
    tokens = [x.session_token for x in completed if x.session_token]
    if len(set(tokens)) != len(tokens):
        problems.append("two browsers were given the same session cookie")
    assertions = [x.assertion_id for x in completed]
    if None in assertions:
        problems.append(f"{assertions.count(None)} logins carried no readable Assertion ID")
    ids = [a for a in assertions if a]
    if len(set(ids)) != len(ids):
        problems.append("the IdP issued the same Assertion ID twice")
    wrong = []
    for x in completed:
        if x.expected_outcome == SESSION and x.session_token:
            session = store.get_session(x.session_token) or {}
            if session.get("login") != x.expected:
                wrong.append(f"#{x.index} {x.user}: {session.get('login')}")
    if wrong:
        problems.append(f"{len(wrong)} session cookies now open another user's session or none ({wrong[0]})")
    missing = [a for a in set(ids) if not store.seen_assertion(a)]
    if missing:
        problems.append(f"{len(missing)} accepted assertions are missing from the replay cache (e.g. {missing[0]})")
    if result.kind == "sp":
        requests = [x.request_id for x in completed]
        if None in requests:
            problems.append(f"{requests.count(None)} SP-initiated logins carried no readable AuthnRequest ID")
        left = [r for r in requests if r and store.peek_request(r) is not None]
        if left:
            problems.append(f"{len(left)} AuthnRequests are still outstanding after their login (e.g. {left[0]})")


def run_load(
    servers: Servers,
    *,
    kind: str,
    idm_key: str,
    users: list[str],
    repeat: int,
    concurrency: int,
    pick: str | None = None,
    on_login: Callable[[Login], None] | None = None,
) -> LoadResult:
    """`repeat` logins, users taken round-robin, `concurrency` browsers at a time."""
    if repeat < 1 or concurrency < 1:
        raise ValueError("repeat and concurrency must be at least 1")
    plans: list[Login] = []
    expectations = {u: expect(servers, idm_key, u) for u in dict.fromkeys(users)}
    for i in range(repeat):
        u = users[i % len(users)]
        e = expectations[u]
        if e.outcome == SESSION:
            plans.append(Login(i + 1, u, e.logins[0], SESSION))
        elif e.outcome == "picker":
            chosen = pick if pick in e.logins else e.logins[0]
            plans.append(Login(i + 1, u, chosen, SESSION))
        else:
            plans.append(Login(i + 1, u, "", e.outcome))
    lock = threading.Lock()

    def task(login: Login) -> Login:
        try:
            done = _one_login(servers, login, kind, idm_key, pick, started)
        except Exception as err:  # one broken login is an error in the report, not a crash
            login.error, done = f"{type(err).__name__}: {err}", login
        if on_login is not None:
            with lock:
                on_login(done)
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
        done = list(pool.map(task, plans))
    wall = time.perf_counter() - started
    result = LoadResult(kind, idm_key, list(dict.fromkeys(users)), concurrency, wall, done)
    _check_state(servers, result)
    return result
