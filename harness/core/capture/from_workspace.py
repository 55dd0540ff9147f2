"""A subscription's questionnaire as Expectations, its URLs placed where the capture's servers ran.

The workspace is read here, once, in the caller's thread; the function returned holds plain
data only, so it may run in a worker (SQLite connections stay in their own thread).
"""

from __future__ import annotations

from harness.core.capture.expectations import Expectations
from harness.core.capture.to_trace import ExpectationsFor
from harness.core.workspace import Workspace, resolve


def expectations_from_workspace(ws: Workspace, idm_key: str) -> ExpectationsFor:
    sub, profile = ws.subscription(idm_key), ws.sp_profile()

    def build(sp_origin: str, idp_origin: str) -> Expectations | None:
        if sub is None:
            return None
        return Expectations(
            idp_entity_id=resolve(sub.idp_entity_id, sp_origin, idp_origin),
            idp_sso_url=resolve(sub.idp_sso_url, sp_origin, idp_origin),
            sp_entity_id=profile.entity_id,
            acs_url=sp_origin + profile.acs_path if sp_origin else "",
            idp_certs=[sub.idp_cert_pem] if sub.idp_cert_pem else [],
        )

    return build
