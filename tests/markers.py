"""Which lane a test module belongs to, from where it lives and what it starts.

`tests/conftest.py` adds these markers at collection, so `-m` selects by them without anyone
remembering to mark a new test: `browser` (drives Chromium: tests/browser), `gui` (pytest-qt
widgets: tests/gui), `flow` (whole logins and the battery: tests/flows), `servers` (opens
loopback HTTP servers: anything that builds `Servers(` or `EmbeddedServer(`, calls `make_server(` or uses
`saml_harness`). The fast lane is every test with none of them (`python3 dev.py test --fast`).
"""

from __future__ import annotations

import re

LANES = ("browser", "gui", "flow", "servers")
FAST = " and ".join(f"not {m}" for m in (*LANES, "slow"))

_BY_DIRECTORY = {"browser": {"browser", "servers"}, "gui": {"gui"}, "flows": {"flow"}}
_STARTS_SERVERS = re.compile(r"\bServers\(|\bmake_server\(|\bEmbeddedServer\(|\bsaml_harness\b")  # the plugin too


def markers_for(relpath: str, source: str) -> set[str]:
    """The lane markers of the test module at `relpath` (relative to tests/) with this source."""
    top = relpath.replace("\\", "/").split("/")[0]
    found = set(_BY_DIRECTORY.get(top, set()))
    if _STARTS_SERVERS.search(source):
        found.add("servers")
    return found
