"""Shared fixtures come from tests/saml_helpers.py (keys made once per session, worlds, no forks)."""

import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parents[2])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from saml_helpers import keys_fixture, new_world_fixture, no_process_spawned_fixture, world_fixture  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _no_process(no_process_spawned: None) -> None:
    """pysaml2 must never fork xmlsec1 (nor anything else) here."""
