"""Shared fixtures come from tests/saml_helpers.py (keys made once per session, worlds, no forks)."""

import pytest
from saml_helpers import keys_fixture, new_world_fixture, no_process_spawned_fixture, world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _no_process(no_process_spawned: None) -> None:
    """pysaml2 must never fork xmlsec1 (nor anything else) here."""


@pytest.fixture(autouse=True)
def _every_page_obeys_its_csp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every HTML page the SP serves in these tests carries a Content-Security-Policy that allows what
    the page needs (its script, style and forms) and is strict (tests/csp_check.py)."""
    from csp_check import check_every_page

    from sp.app import SPApp

    check_every_page(monkeypatch, SPApp)
