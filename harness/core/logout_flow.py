"""The logout half of a scripted flow: SP-initiated (the SP's logout URL) or IdP-initiated (the IdP's).

After the logout it checks what a tester cares about, outside the trace: the SP session is gone
(`/whoami` answers 401) and so is the IdP session (a following SSO shows the IdP's password form).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lxml import etree

from harness.core.browser import BrowserError, Page, ScriptedBrowser
from harness.core.servers import Servers
from mock_idp.contract import LOGOUT_HEADER, IdPRoute
from sp.contract import Route

LOGOUT_KINDS = ("logout", "idp-logout")


@dataclass
class ServiceResult:
    """One SP's result as the mock IdP's final logout page lists it."""

    name: str
    ok: bool | None  # None: not asked (it names no SLO URL)
    detail: str


@dataclass
class LogoutOutcome:
    sp_session_ended: bool = False
    idp_session_ended: bool = False
    landing_url: str = ""
    landing_status: int = 0
    reason: str = ""  # X-SAML-Reason of the landing page, when a side refused a logout message
    detail: str = ""  # why it did not complete, in words
    services: list[ServiceResult] = field(default_factory=list)  # each SP's result at the IdP (its final page)

    @property
    def ok(self) -> bool:
        return self.sp_session_ended and self.idp_session_ended and not self.reason and not self.detail

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def log_out(servers: Servers, browser: ScriptedBrowser, kind: str) -> tuple[LogoutOutcome, Page | None]:
    """Start the logout `kind` in `browser` and follow every hop; returns the outcome and the landing page."""
    start = servers.sp_base + Route.LOGOUT if kind == "logout" else servers.idp_base + IdPRoute.LOGOUT
    outcome = LogoutOutcome()
    page: Page | None = None
    try:
        page = browser.navigate(start)  # the tester's own click: the SP's logout asks no confirmation
        outcome.landing_url, outcome.landing_status = page.url, page.status
        outcome.reason = page.reason_code
    except BrowserError as err:
        outcome.detail = f"the logout could not complete: {err}"
    if outcome.reason:
        outcome.detail = f"{outcome.reason} (HTTP {outcome.landing_status} at {outcome.landing_url})"
    if page is not None and page.headers.get(LOGOUT_HEADER):
        outcome.services = service_results(page.text)
        failed = [f"{s.name}: {s.detail}" for s in outcome.services if s.ok is not True]
        if page.headers[LOGOUT_HEADER] == "partial" and not outcome.detail:
            outcome.detail = "partial logout at the IdP; not logged out of " + "; ".join(failed)
    return outcome, page


_RESULTS = {"logged-out": True, "not-logged-out": False, "skipped": None}


def service_results(html: str) -> list[ServiceResult]:
    """The rows of the mock IdP's final logout page (`data-service-result`): SP, result, detail."""
    try:
        root = etree.fromstring(html, etree.HTMLParser())
    except (ValueError, etree.LxmlError):
        return []
    rows = root.iter("tr") if root is not None else []
    found = []
    for row in rows:
        kind = row.get("data-service-result")
        cells = ["".join(td.itertext()) for td in row.iter("td")]
        if kind in _RESULTS and len(cells) == 3:
            found.append(ServiceResult(cells[0], _RESULTS[kind], cells[2]))
    return found


def check_sessions(servers: Servers, browser: ScriptedBrowser, idm_key: str, outcome: LogoutOutcome) -> None:
    """Probe both sides with the browser's cookies (not recorded in the trace)."""
    probe = ScriptedBrowser(None)
    probe.session.cookies = browser.session.cookies
    try:
        outcome.sp_session_ended = probe.get(servers.sp_base + Route.WHOAMI).status == 401
        page = probe.get(servers.login_url(idm_key))
        outcome.idp_session_ended = page.url.startswith(servers.idp_base) and 'name="password"' in page.text
    except BrowserError as err:
        outcome.detail = outcome.detail or f"the sessions could not be checked: {err}"
    finally:
        probe.session.cookies = type(browser.session.cookies)()  # keep the real browser's jar out of close()
        probe.close()
    if not outcome.detail and not outcome.sp_session_ended:
        outcome.detail = "the SP session is still open after the logout"
    elif not outcome.detail and not outcome.idp_session_ended:
        outcome.detail = "the IdP session is still open: a new login did not ask for the password"
