"""Every control API test runs twice: the mock IdP in the test's process (the plugin's default)
and in its own process (as `serve` runs it), where arming, overrides, metadata and reloads
cross to the IdP's process by command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.testing import RunningHarness


@pytest.fixture(params=["idp-in-process", "idp-process"])
def saml_harness(request: pytest.FixtureRequest, saml_workspace_dir: Path) -> Iterator[RunningHarness]:
    harness = RunningHarness.start(saml_workspace_dir, idp_process=request.param == "idp-process")
    try:
        yield harness
    finally:
        harness.stop()
