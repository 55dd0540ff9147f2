"""The attack battery for the window: against the running embedded SP or another SP, in a worker.

Results come one by one through the Bridge's `battery_result`; `battery_finished` ends the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harness.gui.errors import EDIT_ERRORS, in_words
from harness.gui.trust import cert_of

if TYPE_CHECKING:
    from harness.gui.controller import AppController


@dataclass
class ExternalSP:
    """Another SP for the attack battery, as `saml-harness battery --login-url / --sp-acs / --sp-entity-id`."""

    login_url: str = ""  # each scenario answers a real AuthnRequest from it (and ACS/EntityID are read from it)
    acs_url: str = ""
    entity_id: str = ""
    session_url: str = ""  # answers 2xx only when logged in (else a 2xx/3xx without refusal counts as accepted)

    def problem(self) -> str:
        """What is missing or wrong, in words; "" when the battery can run."""
        for name, url in (("login URL", self.login_url), ("ACS URL", self.acs_url), ("session URL", self.session_url)):
            parts = urlsplit(url)
            if url and (parts.scheme not in ("http", "https") or not parts.netloc):
                return f"The {name} must be an http:// or https:// address, not “{url}”."
        if not self.login_url and not (self.acs_url and self.entity_id):
            return "Give the SP's login URL, or its ACS URL and its EntityID."
        return ""


class BatteryRuns:
    """One battery at a time; it shares the controller's one-run-at-a-time slot with the flows."""

    def __init__(self, controller: AppController):
        self.controller = controller
        self.last_error = ""

    def run(self, idm_key: str, scenarios: list | None = None, *, external: ExternalSP | None = None) -> bool:
        """The attack battery in a worker, against the running embedded SP (subscription `idm_key`) or
        `external`; results come one by one through the bridge."""
        self.last_error = ""
        problem = external.problem() if external is not None else ""
        if not problem and external is None and self.controller.servers is None:
            problem = "The servers are not running yet."
        if problem:
            self.last_error = problem
            self.controller.bridge.error(problem)
            return False
        if self.controller._running is not None:
            self.last_error = "A flow is already running."
            self.controller.bridge.warning(self.last_error)
            return False
        from harness.core.battery import Battery, BatteryError, Canary, embedded_target, external_target

        servers, bridge, ws = self.controller.servers, self.controller.bridge, self.controller.workspace

        def work():
            with Canary() as canary:
                if external is None:
                    target, context = embedded_target(servers, idm_key=idm_key or None)
                else:
                    target, context = external_target(
                        ws,
                        acs_url=external.acs_url or None,
                        entity_id=external.entity_id or None,
                        login_url=external.login_url or None,
                        session_url=external.session_url or None,
                    )
                return Battery(target, context, canary=canary).run(scenarios, on_result=bridge.battery_result.emit)

        def failed(err: Exception) -> None:
            words = str(err) if isinstance(err, BatteryError) else in_words(err)
            bridge.battery_finished.emit(f"The battery stopped: {words}")

        self.controller._running = "battery"
        self.controller.bridge.battery_finished.connect(self._on_battery_finished)
        self.controller.tasks.start(work, done=bridge.battery_finished.emit, failed=failed)
        return True

    def trust(self, idm_key: str | None) -> tuple[bytes | None, str]:
        """The certificate a battery message's signatures are checked against, and that in words:
        the one subscription `idm_key` trusts, or (None: another SP) the mock IdP's signing certificate."""
        ws = self.controller.workspace
        try:
            if idm_key is not None:
                sub = ws.subscription(idm_key) if idm_key else None
                if sub is None or not sub.idp_cert_pem:
                    return None, "no certificate is trusted, so signatures are shown but not checked."
                name = sub.name or sub.idm_key
                return sub.idp_cert_pem, f"signatures checked against the certificate {name} ({sub.idm_key}) trusts."
            key = ws.idp_profile().signing_key
            return cert_of(ws, key), f"signatures checked against the mock IdP's certificate (key pair {key})."
        except EDIT_ERRORS as err:
            return None, f"signatures not checked: {in_words(err)}."

    def _on_battery_finished(self, report) -> None:  # Report | str
        self.controller.bridge.battery_finished.disconnect(self._on_battery_finished)
        self.controller._running = None
        if isinstance(report, str):
            self.controller.bridge.error(report)
