"""The scripted browser: follows redirects, submits self-posting SAML forms, fills login forms.

It does what a person with a browser would do, over real HTTP, and tags its requests with
`X-Harness-Flow` so a recorder can tell its requests from those of other browsers.
"""

from __future__ import annotations

import http.client
import uuid
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pyotp
import requests

from harness.core import one_cpu
from harness.core.browser_forms import page_forms, page_frames
from harness.core.browser_transport import Transport, loopback_cas
from sp.contract import REASON_HEADER

MAX_HOPS = 25
MAX_FRAMES = 16  # frames loaded per page
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass
class Page:
    url: str
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def reason_code(self) -> str:
        return self.headers.get(REASON_HEADER, "")


@dataclass
class Credentials:
    username: str
    password: str
    totp_secret: str | None = None
    pick: str | None = None  # the account to choose at the SP's picker


class BrowserError(Exception):
    pass


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _Session(requests.Session):
    """A requests session that leaves the environment alone for loopback URLs.

    With `trust_env`, requests reads proxies, `.netrc` and CA bundles from the environment on
    every request (about a third of the scripted browser's time on a loopback login), and an
    HTTP_PROXY without NO_PROXY would send the harness's own loopback servers through a proxy.
    Other hosts (an external SP in the battery) keep the environment's settings.
    """

    def request(self, method, url, *args, **kwargs):  # requests' API
        parts = urlsplit(url)
        self.trust_env = parts.hostname not in LOOPBACK
        if not self.trust_env and parts.scheme == "https" and self.verify is True and "verify" not in kwargs:
            cas = loopback_cas()  # the harness's own servers over HTTPS: their local CA
            if cas:
                kwargs["verify"] = cas[-1]
        return super().request(method, url, *args, **kwargs)


class ScriptedBrowser:
    """One browser: its own cookie jar and its own connections (kept alive, one per host).

    `ca_file` is the CA bundle that https servers are verified against (the workspace's local
    CA for the harness's own servers over HTTPS); None: the system's.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        flow_id: str | None = None,
        timeout: float = 30,
        ca_file: str | None = None,
    ):
        self.flow_id = flow_id or uuid.uuid4().hex[:12]
        self.credentials = credentials
        self.timeout = timeout
        self.session = _Session()
        if ca_file:
            self.session.verify = ca_file
        # Loopback hosts (the harness's own servers) go over the browser's own HTTP/1.1 connections;
        # the session (requests) serves other hosts, and callers that use it directly.
        self._loopback = Transport(self.session, timeout)
        self.session.headers["X-Harness-Flow"] = self.flow_id
        self.session.headers["User-Agent"] = "saml-harness scripted browser"
        self.history: list[Page] = []

    def close(self) -> None:
        self._loopback.close()
        self.session.close()

    def get(self, url: str) -> Page:
        return self._go("GET", url, None)

    def navigate(self, url: str) -> Page:
        """The tester opens `url` themselves (typed, a bookmark): as a real browser does, the
        request says so (`Sec-Fetch-Site: none`), which the SP's logout requires of a GET."""
        return self._go("GET", url, None, headers={"Sec-Fetch-Site": "none"})

    def post(self, url: str, data: dict[str, str]) -> Page:
        return self._go("POST", url, data)

    def submit(self, page: Page) -> Page:
        """Go on from a page where the flow stopped (a login form reached without credentials, say)."""
        nxt = self._next_form(page)
        return page if nxt is None else self.post(*nxt)

    def _go(
        self,
        method: str,
        url: str,
        data: dict[str, str] | None,
        headers: dict[str, str] | None = None,
        *,
        in_frame: bool = False,
    ) -> Page:
        if in_frame or urlsplit(url).hostname not in LOOPBACK:
            return self._hops(method, url, data, headers, in_frame)
        with one_cpu.beside_servers():  # the servers of this process, if it serves: see one_cpu
            return self._hops(method, url, data, headers, in_frame)

    def _hops(
        self, method: str, url: str, data: dict[str, str] | None, headers: dict[str, str] | None, in_frame: bool
    ) -> Page:
        for _ in range(MAX_HOPS):
            page = self._fetch(method, url, data, headers)
            self.history.append(page)
            if page.status in _REDIRECTS and "Location" in page.headers:
                url, method, data, headers = urljoin(url, page.headers["Location"]), "GET", None, None
                continue
            if not in_frame:
                self._load_frames(page)
            nxt = self._next_form(page, frames_loaded=not in_frame)
            if nxt is None:
                return page
            method, url, data = "POST", nxt[0], nxt[1]
        raise BrowserError(f"more than {MAX_HOPS} hops: the flow is looping")

    def _fetch(self, method: str, url: str, data: dict[str, str] | None, headers: dict[str, str] | None = None) -> Page:
        try:
            if urlsplit(url).hostname in LOOPBACK:
                r = self._loopback.request(method, url, data, headers)
                return Page(url=url, status=r.status, text=r.text, headers=r.headers)
            resp = self.session.request(
                method, url, data=data, headers=headers, allow_redirects=False, timeout=self.timeout
            )
        except (requests.RequestException, OSError, http.client.HTTPException, ValueError) as err:
            raise BrowserError(f"{method} {url} failed: {err}") from err
        return Page(url=url, status=resp.status_code, text=resp.text, headers=dict(resp.headers))

    def _load_frames(self, page: Page) -> None:
        """Each frame of the page, followed to its end as a browser does (one level deep); a frame
        that fails to load (an error page, nothing listening) leaves the page as it is."""
        if page.status >= 400:
            return
        for src in page_frames(page.text)[:MAX_FRAMES]:
            try:
                self._go("GET", urljoin(page.url, src), None, in_frame=True)
            except BrowserError:
                continue

    def _next_form(self, page: Page, *, frames_loaded: bool = False) -> tuple[str, dict[str, str]] | None:
        """What a person would submit next on this page, if anything."""
        if "<form" not in page.text or (page.status >= 400 and "password" not in page.text):
            return None
        for form in page_forms(page.text):
            fields = form.fields
            action = urljoin(page.url, form.action or page.url)
            if "SAMLResponse" in fields or "SAMLRequest" in fields:
                return action, fields  # the self-submitting binding form
            if form.after_frames and frames_loaded:
                return action, fields  # the page's script goes on once its frames have loaded
            c = self.credentials
            if c is None:
                return None
            if "password" in fields and "username" in fields:
                if self._seen_login_error(page):
                    return None  # a wrong password: stop here rather than loop
                fields.update(username=c.username, password=c.password)
                return action, fields
            if "code" in fields and c.totp_secret:
                if "not valid" in page.text:
                    return None
                fields["code"] = pyotp.TOTP(c.totp_secret).now()
                return action, fields
            if form.logins:
                fields["login"] = c.pick if c.pick in form.logins else form.logins[0]  # type: ignore[assignment]
                return action, fields
        return None

    @staticmethod
    def _seen_login_error(page: Page) -> bool:
        return page.status == 401
