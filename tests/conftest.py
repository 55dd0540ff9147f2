"""Fixtures every test directory shares (the SAML-specific ones live in tests/saml_helpers.py)."""

import pytest
from hypothesis import settings

from harness.core.workspace import Workspace

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock limit that a busy
# 2-core CI trips. Property tests bound their work by example counts and sizes instead.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


@pytest.fixture
def demo(tmp_path):
    """A fresh copy of the demo workspace, closed after the test."""
    ws = Workspace.demo(tmp_path / "ws")
    yield ws
    ws.close()
