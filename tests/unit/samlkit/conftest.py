"""Shared fixtures come from tests/saml_helpers.py (keys made once per session, worlds, no forks)."""

import pytest
from saml_helpers import keys_fixture, new_world_fixture, no_process_spawned_fixture, world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _no_process(no_process_spawned: None) -> None:
    """pysaml2 must never fork xmlsec1 (nor anything else) here."""
