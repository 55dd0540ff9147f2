"""The harness inside another project's tests: a running mock IdP (and the vendor SP) in one object.

`RunningHarness.start(directory)` opens (or creates from the demo) a workspace, starts both
servers and the control API on free loopback ports, and gives their URLs, the IdP's metadata,
a control API client (`.control`), a scripted-browser login and a way to serve the SP under
test next to them. The pytest plugin (`harness.pytest_plugin`) wraps it in fixtures; any other
test runner can use it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.browser import Credentials, Page, ScriptedBrowser
from harness.core.control import ControlHandle, start_control
from harness.core.control.client import ControlClient
from harness.core.control.info import describe
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from mock_idp.contract import IdPRoute


@dataclass
class Login:
    """Where a scripted-browser login ended; `browser` still holds its cookies (the SP session)."""

    page: Page
    browser: ScriptedBrowser

    @property
    def status(self) -> int:
        return self.page.status

    @property
    def text(self) -> str:
        return self.page.text

    @property
    def url(self) -> str:
        return self.page.url


class RunningHarness:
    def __init__(self, workspace: Workspace, servers: Servers, control: ControlHandle):
        self.workspace = workspace
        self.servers = servers
        self._control_handle = control
        self.control = ControlClient.of(control.info)
        self._browsers: list[ScriptedBrowser] = []

    @classmethod
    def start(cls, directory: str | Path, *, idp_process: bool = False) -> RunningHarness:
        """`idp_process`: the mock IdP in a second process, as `serve` runs it: two cores serve many
        concurrent logins, at about a second more to start."""
        ws = Workspace.open_or_demo(directory)
        try:
            servers = Servers(ws, sp_port=0, idp_port=0, idp_process=idp_process).start()
        except BaseException:
            ws.close()
            raise
        return cls(ws, servers, start_control(servers))

    def stop(self) -> None:
        for b in self._browsers:
            b.close()
        self.control.close()
        self._control_handle.stop()
        self.servers.stop()
        self.workspace.close()

    def __enter__(self) -> RunningHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- where things are -------------------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        """What `serve --json` prints (URLs, entity IDs, metadata URLs, the control URL and token)."""
        info = self._control_handle.info
        return describe(self.servers, {"url": info.url, "token": info.token})

    @property
    def idp_entity_id(self) -> str:
        return self.servers.idp_app.config.entity_id

    @property
    def idp_url(self) -> str:
        return self.servers.idp_base

    @property
    def idp_metadata_url(self) -> str:
        return self.servers.idp_base + IdPRoute.METADATA

    @property
    def idp_sso_url(self) -> str:
        return self.servers.idp_app.config.sso_url

    @property
    def idp_metadata(self) -> str:
        """The mock IdP's SAML metadata (EntityID, SSO URL, signing certificate)."""
        return self.servers.idp_app.metadata

    @property
    def idp_cert_pem(self) -> bytes:
        return self.servers.idp_app.config.cert_pem

    @property
    def sp_url(self) -> str:
        return self.servers.sp_base

    def sp_login_url(self, idm_key: str | None = None) -> str:
        """The embedded vendor SP's unique login URL (the first subscription's by default)."""
        subs = self.servers.sp_app.config.subscriptions
        return self.servers.login_url(idm_key or subs[0].idm_key)

    def idp_start_url(self, sp_entity_id: str | None = None, user: str | None = None) -> str:
        """IdP-initiated login to an SP (the embedded SP by default)."""
        return self.servers.idp_start_url(sp_entity_id, user)

    # -- doing things -------------------------------------------------------------------------------

    def serve(self, app: Callable) -> str:
        """Serve a WSGI app (the SP under test) on a free loopback port until the harness stops; its URL."""
        return self.servers.add_app(app, foreign=True)  # not pinned to the servers' CPU: see one_cpu

    def browser(self, username: str | None = None, password: str | None = None, **more: Any) -> ScriptedBrowser:
        """A fresh scripted browser that signs in at the mock IdP as `username` (password from the IdP's user)."""
        creds = None
        if username is not None:
            user = self.workspace.user(username)
            creds = Credentials(
                username=username,
                password=password if password is not None else (user.password if user else ""),
                totp_secret=more.pop("totp_secret", user.totp_secret if user else None),
                pick=more.pop("pick", None),
            )
        b = ScriptedBrowser(creds, **more)
        self._browsers.append(b)
        return b

    def login(self, start_url: str, username: str, password: str | None = None, **more: Any) -> Login:
        """Open `start_url` (an SP's login URL, or an IdP start URL) and sign in as `username`.
        A harness whose IdP process died says so here, not as a connection refused mid-login."""
        if self.servers.failure:
            raise RuntimeError(self.servers.failure)
        b = self.browser(username, password, **more)
        return Login(b.get(start_url), b)
