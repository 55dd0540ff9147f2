"""What a running harness tells scripts: URLs, entity IDs, metadata URLs, the control endpoint.

`serve --json` prints it as one line, `serve --ready-file F` writes it, `GET /info` answers it,
and the pytest plugin reads it.
"""

from __future__ import annotations

import os
from typing import Any

from harness.core.servers import Servers
from mock_idp.contract import IdPRoute
from sp.contract import Route


def describe(servers: Servers, control: dict[str, str] | None = None) -> dict[str, Any]:
    sp, idp = servers.sp_app.config, servers.idp_app.config
    subs = sp.subscriptions
    return {
        "pid": os.getpid(),
        "workspace": str(servers.workspace.path),
        "sp": {
            "url": servers.sp_base,
            "entity_id": sp.entity_id,
            "acs_url": sp.acs_url,
            "metadata_url": servers.sp_base + Route.METADATA,
            "subscriptions": [
                {
                    "idm_key": s.idm_key,
                    "name": s.name,
                    "login_url": sp.login_url(s.idm_key),
                    "metadata_url": f"{servers.sp_base}{Route.METADATA}?idm_key={s.idm_key}",
                }
                for s in subs
            ],
        },
        "idp": {
            "url": servers.idp_base,
            "entity_id": idp.entity_id,
            "metadata_url": servers.idp_base + IdPRoute.METADATA,
            "sso_url": idp.sso_url,
            "start_url": servers.idp_start_url(),
        },
        "control": control or {},
        "ca_file": servers.ca_file,  # HTTPS: the local CA to verify both sides with (None on plain HTTP)
        "notes": list(servers.notes),
    }
