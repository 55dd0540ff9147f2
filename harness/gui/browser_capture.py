"""Real-browser capture for the window: open a login in the system browser and record its steps.

One capture at a time (the tester's browser holds one recording cookie): starting another, a
workbench recording included (`hold`), or `stop()` ends it (its entry then finishes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.core.flow import TITLES
from harness.core.runner import RealBrowserCapture
from harness.core.trace import Trace
from harness.gui.history import HistoryEntry
from mock_idp.contract import IdPRoute
from sp.contract import Route

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class BrowserCaptures:
    def __init__(self, controller: AppController):
        self.controller = controller
        self._capture: tuple[str, Callable[[], None]] | None = None  # run id, what ends it

    def url(self, kind: str, idm_key: str, username: str) -> str | None:
        if self.controller.servers is None:
            return None
        if kind == "sp":
            return self.controller.servers.login_url(idm_key)
        if kind == "logout":  # the browser's own SP session, logged out with Single Logout
            return self.controller.servers.sp_base + Route.LOGOUT
        if kind == "idp-logout":
            return self.controller.servers.idp_base + IdPRoute.LOGOUT
        return self.controller.servers.idp_start_url(user=username or None, idm_key=idm_key or None)

    def open(self, kind: str, idm_key: str, username: str) -> str | None:
        """Open the login URL in the system browser and record what it does."""
        url = self.url(kind, idm_key, username)
        if url is None:
            self.controller.bridge.error("The servers are not running yet.")
            return None
        self.stop()
        run_id = uuid.uuid4().hex[:10]
        words = TITLES.get(kind, kind)
        trace = Trace(
            title=f"Real browser, {words}: {username or 'any user'} → {idm_key}",
            flow="browser",
            subscription=idm_key,
            user=username,
        )
        entry = HistoryEntry(run_id, trace, "browser", running=True)
        bridge = self.controller.bridge
        sub = self.controller.servers.sp_app.config.subscription(idm_key)
        token = self.controller.servers.recordings.start()  # binds the recording to the browser we open
        capture = RealBrowserCapture(
            self.controller.servers,
            trace,
            on_step=lambda _t, step: bridge.step_recorded.emit(run_id, step),
            decryption_key=sub.encryption_key_pem if sub else None,
            recording=token,
            on_foreign=lambda _t, _step: bridge.foreign_recorded.emit(run_id),
        )
        self._capture = (run_id, lambda: self._finish(run_id, capture))
        self.controller.history.append(entry)
        bridge.history_changed.emit()
        bridge.flow_started.emit(entry)
        self.controller.open_url(self.controller.servers.recording_url(token, url))
        bridge.info(f"Opened {url} in the browser; recording its steps until you stop or start another run.")
        return run_id

    @property
    def capturing(self) -> str | None:
        return self._capture[0] if self._capture else None

    def hold(self, run_id: str, end: Callable[[], None]) -> None:
        """Another recording of the tester's browser (the workbench's): it ends any other first, and
        `end` is called when it is stopped in turn."""
        self.stop()
        self._capture = (run_id, end)

    def stop(self) -> None:
        if self._capture is None:
            return
        _run_id, end = self._capture
        self._capture = None
        end()

    def _finish(self, run_id: str, capture: RealBrowserCapture) -> None:
        capture.stop()
        self.controller.bridge.flow_finished.emit(run_id, None)
