"""sp.contract: the values tools and browsers rely on stay exactly what they are (the vendor
guide's paths, the cookies browsers hold, the headers testers read)."""

from __future__ import annotations

from pathlib import Path

from werkzeug.test import Client

from sp.contract import (
    BOUNCE_HEADER,
    BROWSER_COOKIE,
    REASON_HEADER,
    SESSION_COOKIE,
    SIGNATURE_REASONS,
    Check,
    Reason,
    Route,
)
from sp.model import DEFAULT_ACS_PATH, DEFAULT_LOGIN_PATH, SPConfig


def test_the_vendor_profile_and_the_sps_own_pages() -> None:
    assert (Route.LOGIN, Route.ACS) == ("/fo/login.php", "/IdM/saml2/")
    assert (DEFAULT_LOGIN_PATH, DEFAULT_ACS_PATH) == (Route.LOGIN, Route.ACS)
    assert [r.value for r in Route] == [
        "/fo/login.php",
        "/IdM/saml2/",
        "/",
        "/home",
        "/whoami",
        "/fo/pick",
        "/fo/logout.php",
        "/IdM/saml2/slo",
        "/fo/logged-out",
        "/metadata",
        "/api/2.0/fo/user/",
    ]


def test_cookies_and_headers() -> None:
    assert (SESSION_COOKIE, BROWSER_COOKIE) == ("sp_session", "sp_browser")
    assert (REASON_HEADER, BOUNCE_HEADER) == ("X-SAML-Reason", "X-SAML-Bounce")


def test_every_route_but_the_login_and_acs_answers_without_a_subscription(tmp_path: Path) -> None:
    from sp.app import create_sp_app

    app = create_sp_app(SPConfig(base_url="http://sp.test"), state_path=str(tmp_path / "sp.db"))
    try:
        client = Client(app)
        for route in (Route.ROOT, Route.HOME, Route.LOGGED_OUT, Route.METADATA):
            assert client.get(route).status_code == 200, route
        assert client.get(Route.WHOAMI).status_code == 401
        assert client.get(Route.USER_API).headers[REASON_HEADER] == Reason.API_AUTH_REQUIRED
        assert client.get("/nowhere").headers[REASON_HEADER] == Reason.NOT_FOUND
    finally:
        app.close()


def test_signature_reasons_are_the_signature_refusals() -> None:
    assert {r for r in Reason if r.value.startswith("signature")} <= SIGNATURE_REASONS
    assert Reason.REPLAYED not in SIGNATURE_REASONS


def test_a_check_is_plain_data() -> None:
    assert Check("Audience", True) == Check("Audience", True, "")
