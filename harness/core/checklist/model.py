"""The checklist's plain data: its steps, the report, and what it expects."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from harness.core.questionnaire import Questionnaire
from harness.core.trace import Step, Trace
from sp.model import Account, Subscription

PASS, FAIL, SKIP, PENDING = "pass", "fail", "skip", "pending"
IDP, SP, QUESTIONNAIRE, BROWSER = "IdP", "SP", "questionnaire", "browser"

TITLES = {
    "trust": "The SP trusts your IdP (questionnaire applied)",
    "saml-enabled": "A Manager enabled SAML for the test user",
    "external-id": "Optional: the External ID is set",
    "open-url": "Open the unique login URL: the browser goes to the IdP",
    "idp-auth": "Authenticate at the IdP",
    "session": "A session opens with the expected identity",
    "logout": "Log out: the browser lands on the exit URL",
}
ORDER = list(TITLES)

CheckCallback = Callable[["ChecklistReport", "CheckStep"], None]
TraceCallback = Callable[[Trace, Step], None]


@dataclass
class CheckStep:
    key: str
    title: str
    status: str = PENDING  # pass | fail | skip | pending
    reason: str = ""  # what the harness saw
    side: str = ""  # where to fix a failure: IdP | SP | questionnaire | browser
    fix: str = ""  # what to change
    evidence: list[int] = field(default_factory=list)  # trace step indexes

    def set(self, status: str, reason: str, side: str = "", fix: str = "", evidence: list[int] | None = None) -> None:
        self.status, self.reason, self.side, self.fix = status, reason, side, fix
        self.evidence = list(evidence or [])


@dataclass
class ChecklistReport:
    idm_key: str
    subscription: str
    mode: str  # "demo" | "interactive"
    login_url: str = ""
    user: str = ""  # the IdP username (demo mode)
    account: str = ""  # the SP account expected to open a session
    identity: str = ""  # the identity value the IdP sent, when seen
    questionnaire: Questionnaire = field(default_factory=Questionnaire)
    sp_entity_id: str = ""
    acs_url: str = ""
    steps: list[CheckStep] = field(default_factory=lambda: [CheckStep(k, TITLES[k]) for k in ORDER])
    trace: Trace = field(default_factory=Trace)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    def step(self, key: str) -> CheckStep:
        return next(s for s in self.steps if s.key == key)

    @property
    def first_failure(self) -> CheckStep | None:
        return next((s for s in self.steps if s.status == FAIL), None)

    @property
    def passed(self) -> bool:
        return all(s.status in (PASS, SKIP) for s in self.steps) and self.step("session").status == PASS

    @property
    def verdict(self) -> str:
        f = self.first_failure
        if f is not None:
            return f"FAILED at “{f.title}”: {f.reason}"
        if self.passed:
            return "PASSED: SAML SSO works for this subscription"
        return "INCOMPLETE: some steps were not checked"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"], d["verdict"] = self.passed, self.verdict
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


@dataclass
class Expectation:
    """What the checklist expects, and judges a trace against: the report's header, the running
    SP's view of the subscription (placeholders resolved), its paths, and the account the test
    should open."""

    header: ChecklistReport  # idm_key, URLs, questionnaire, user...: its steps are not used
    sub: Subscription
    login_path: str
    acs_path: str
    expected: str | None  # the SP login expected to open a session
    predicted_identity: str | None = None
    idp_visible: bool = True  # the IdP is the mock IdP, so its steps are in the trace
    unknown: str = ""  # why the account cannot be predicted (the mock IdP does not serve this SP)


def account_of(sub: Subscription, login: str | None) -> Account | None:
    return next((a for a in sub.accounts if a.login == login), None) if login else None
