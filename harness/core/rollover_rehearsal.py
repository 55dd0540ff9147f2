"""A whole rollover over loopback: a login before, and after each stage, with no failed login.

Each login is a real scripted-browser flow; the trace says which trusted certificate verified
its Response (the Signature explanation and the SP's check), which is what a tester watches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.core import rollover
from harness.core.flow import FlowResult, run_flow
from harness.core.servers import Servers
from harness.core.trace import Trace
from sp.model import Subscription
from sp.trust import trusted_certs


@dataclass
class StageLogin:
    stage: str  # "before" | "add" | "switch" | "remove"
    detail: str
    login: str | None
    reason: str  # the refusal code when no session opened
    verified_by: str  # "old" | "new" | "only" | "" (the trusted certificate that verified the Assertion)
    fingerprint: str
    trace: Trace = field(repr=False, default_factory=Trace)

    @property
    def ok(self) -> bool:
        return self.login is not None


def verified_by(trace: Trace, sub: Subscription) -> tuple[str, str]:
    """(role, SHA-256) of the subscription's certificate that verified the Response at the ACS, or ("", "")."""
    certs = {c.sha256: c.role for c in trusted_certs(sub)}
    for step in trace.steps:
        if step.dst != "sp" or step.message is None or step.message.summary.kind != "Response":
            continue
        for sig in step.message.signatures:
            if sig.value_ok and sig.trusted_cert_sha256:
                fp = sig.trusted_cert_sha256.replace(":", "").lower()
                if fp in certs:
                    return certs[fp], fp
    return "", ""


def _login(servers: Servers, stage: str, detail: str, idm_key: str, username: str) -> StageLogin:
    sub = servers.sp_app.config.subscription(idm_key)
    result: FlowResult = run_flow(servers, kind="sp", idm_key=idm_key, username=username)
    role, fp = verified_by(result.trace, sub)
    return StageLogin(stage, detail, result.session_login, result.final_reason, role, fp, result.trace)


def rehearse(
    servers: Servers,
    *,
    idm_key: str,
    username: str,
    on_stage: Callable[[StageLogin], None] | None = None,
    every_subscription: bool = False,
) -> list[StageLogin]:
    """Log in to `idm_key`, then add / switch / remove with a login after each; stops at the first failure.
    With `every_subscription` the stages change every subscription trusting the IdP, as `rollover add`
    does: the switch is refused while another subscription would lose its logins."""
    ws = servers.workspace
    keys = None if every_subscription else [idm_key]
    done = [_login(servers, "before", "the subscription trusts the IdP's current certificate", idm_key, username)]
    steps = (
        ("add", lambda: rollover.add(ws, keys)),
        ("switch", lambda: rollover.switch(ws)),
        ("remove", lambda: rollover.remove(ws, keys)),
    )
    if on_stage:
        on_stage(done[-1])
    for name, act in steps:
        if not done[-1].ok:
            break
        stage = act()
        servers.reload()
        done.append(_login(servers, name, stage.detail, idm_key, username))
        if on_stage:
            on_stage(done[-1])
    return done
