"""A subscription's questionnaire as Expectations, its URLs placed where the capture's servers ran."""

from __future__ import annotations

from harness.core.capture.expectations import Expectations
from harness.core.capture.to_trace import ExpectationsFor
from harness.core.workspace import Workspace


def expectations_from_workspace(ws: Workspace, idm_key: str) -> ExpectationsFor:
    def build(sp_origin: str, idp_origin: str) -> Expectations | None:
        config = ws.sp_config(sp_origin, idp_origin)
        sub = config.subscription(idm_key)
        if sub is None:
            return None
        return Expectations(
            idp_entity_id=sub.idp_entity_id,
            idp_sso_url=sub.idp_sso_url,
            sp_entity_id=config.entity_id,
            acs_url=config.acs_url,
            idp_certs=[sub.idp_cert_pem] if sub.idp_cert_pem else [],
        )

    return build
