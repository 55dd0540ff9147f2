"""pytest fixtures that run the mock IdP (and the vendor-style SP) for another project's SAML tests.

Installed with the package (entry point `pytest11`), so any test can ask for:

- `saml_harness`: a running harness on free loopback ports in a temporary workspace (a copy of
  the demo): `.idp_metadata`, `.idp_metadata_url`, `.idp_entity_id`, `.idp_sso_url`,
  `.sp_login_url()`; `.control` adds or changes users, registers an SP from its metadata,
  picks per SP the signing and NameID choices and arms an attack scenario for the next
  Responses; `.serve(wsgi_app)` runs the SP under test beside it; `.login(url, user)` drives
  a login with the scripted browser. See `harness.testing.RunningHarness`.
- `saml_workspace_dir`: the directory of that workspace (override it to start from your own).

Nothing heavy is imported until a fixture is used, so the plugin costs other test runs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.testing import RunningHarness


@pytest.fixture
def saml_workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the harness keeps its workspace: a fresh copy of the demo workspace per test."""
    return tmp_path_factory.mktemp("saml-harness") / "workspace"


@pytest.fixture
def saml_harness(saml_workspace_dir: Path) -> Iterator[RunningHarness]:
    """The mock IdP and the embedded SP running, with their control API; stopped after the test."""
    from harness.testing import RunningHarness

    harness = RunningHarness.start(saml_workspace_dir)
    try:
        yield harness
    finally:
        harness.stop()
