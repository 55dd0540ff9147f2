"""What a battery row observed, and the verdict on it: pure functions over plain data.

Verdicts: `refused` (good), `ignored` (an off-site RelayState dropped, the login itself
legitimate: good), `ACCEPTED` (a forgery worked), `FETCHED` (the SP followed a URL from the
message), `CRASH` (5xx, a dropped connection or a timeout), `skipped` (the scenario needs
something this target lacks), `ERROR` (the battery could not build the message). The baseline
row sends a legitimate message: `accepted` there proves the battery can tell; `REFUSED` means
every other row is inconclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from mock_idp.scenarios.base import HARM_IMPERSONATION, HARM_OFFSITE_REDIRECT, Scenario

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
        if self.reason:
            return f"{self.status} {self.reason}"
        if self.session:
            return f"{self.status} session" + (f" for {self.login}" if self.login else "")
        return f"{self.status} (no reason code)"


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


def accepted(obs: Observed) -> bool:
    """A session opened, or (when the SP cannot be asked) it answered 2xx/3xx without a refusal code."""
    if obs.session:
        return True
    return obs.status is not None and obs.status < 400 and not obs.reason


def verdict(scenario: Scenario, observed: Observed, *, acs_url: str = "", victim_logins: tuple[str, ...] = ()) -> str:
    """The verdict on one row: did the SP fall for `scenario`, given what was `observed`?

    `acs_url` tells an off-site redirect from a local one; `victim_logins` (the accounts the
    victim maps to) tell an impersonation from the attacker's own session.
    """
    if observed.crashed:
        return CRASH
    ok = accepted(observed)
    if scenario.legitimate:
        return BASELINE_OK if ok else BASELINE_REFUSED
    if observed.fetched:
        return FETCHED
    if scenario.harm == HARM_OFFSITE_REDIRECT:
        if is_offsite(observed.location, acs_url):
            return ACCEPTED
        return IGNORED if ok else REFUSED
    if scenario.harm == HARM_IMPERSONATION and ok and observed.login and victim_logins:
        return ACCEPTED if observed.login in victim_logins else IGNORED
    return ACCEPTED if ok else REFUSED
