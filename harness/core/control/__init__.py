"""The control API of a running harness (`serve` or the app): start it beside the servers, stop it with them.

`start_control(servers)` serves the API on a free loopback port, records the traces it will
answer with, and writes control.json (URL and bearer token, 0600) into the workspace.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from harness.core.control.api import ControlAPI
from harness.core.control.endpoint import ControlInfo, read_control, remove_control
from harness.core.control.handlers import Live
from harness.core.control.traces import TraceLog
from harness.core.servers import Servers


@dataclass
class ControlHandle:
    info: ControlInfo
    live: Live
    _servers: Servers

    def stop(self) -> None:
        """Forget the endpoint (the socket closes with the servers)."""
        self._servers.remove_listener(self.live.traces)
        remove_control(self._servers.workspace.path, self.info)


def _trust(subscriptions: list) -> Callable[[str], bytes | None]:
    """The IdP certificate each issuer is trusted with, as these subscriptions say."""
    return lambda issuer: next((s.idp_cert_pem for s in subscriptions if s.idp_entity_id == issuer), None)


def start_control(servers: Servers, *, write_file: bool = True) -> ControlHandle:
    token = secrets.token_urlsafe(32)
    sp = servers.sp_app
    traces = TraceLog(
        login_path=lambda: sp.config.login_path,
        trusted_cert=lambda: _trust(sp.config.subscriptions),
    )
    control: dict[str, str] = {}
    live = Live(servers, traces, control)
    control["url"] = servers.add_app(ControlAPI(live, token))
    servers.add_listener(traces)
    info = ControlInfo(url=control["url"], token=token, pid=os.getpid())
    if write_file and not servers.workspace.read_only:
        info.save(servers.workspace.path)
    return ControlHandle(info, live, servers)


__all__ = ["ControlHandle", "ControlInfo", "read_control", "start_control"]
