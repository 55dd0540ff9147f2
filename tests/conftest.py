"""Fixtures every test directory shares (the SAML-specific ones live in tests/saml_helpers.py)."""

import pytest

from harness.core.workspace import Workspace


@pytest.fixture
def demo(tmp_path):
    """A fresh copy of the demo workspace, closed after the test."""
    ws = Workspace.demo(tmp_path / "ws")
    yield ws
    ws.close()
