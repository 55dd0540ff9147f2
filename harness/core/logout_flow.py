"""The logout half of a scripted flow: SP-initiated (the SP's logout URL) or IdP-initiated (the IdP's).

After the logout it checks what a tester cares about, outside the trace: the SP session is gone
(`/whoami` answers 401) and so is the IdP session (a following SSO shows the IdP's password form).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from harness.core.browser import BrowserError, Page, ScriptedBrowser
from harness.core.servers import Servers
from mock_idp.contract import IdPRoute
from sp.contract import Route

LOGOUT_KINDS = ("logout", "idp-logout")


@dataclass
class LogoutOutcome:
    sp_session_ended: bool = False
    idp_session_ended: bool = False
    landing_url: str = ""
    landing_status: int = 0
    reason: str = ""  # X-SAML-Reason of the landing page, when a side refused a logout message
    detail: str = ""  # why it did not complete, in words

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
    return outcome, page


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
