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
    from csp_check import check_page
    from werkzeug.wrappers import Response

    from sp.app import SPApp

    served = SPApp.__call__

    def checked(self: SPApp, environ: dict, start_response):
        response = Response.from_app(lambda e, s: served(self, e, s), environ)
        if response.mimetype == "text/html":
            url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{environ.get('PATH_INFO', '')}"
            check_page(response.get_data(as_text=True), response.headers.get("Content-Security-Policy"), url)
        return response(environ, start_response)

    monkeypatch.setattr(SPApp, "__call__", checked)
