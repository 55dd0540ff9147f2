"""sp.app pieces: RelayState is only ever a local path, cookie flags, the error boundary."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from saml_helpers import IDM_KEY, World
from werkzeug.test import Client

from sp.refusal import Refusal
from sp.relay_state import local_path


@pytest.mark.parametrize("relay", ["/", "/home", "/a/b?c=d&e=f#frag", "/%2F%2Fevil.test"])
def test_local_paths_pass(relay: str) -> None:
    assert local_path(relay) == relay


@pytest.mark.parametrize("relay", [None, ""])
def test_no_relay_state(relay: str | None) -> None:
    assert local_path(relay) is None


@pytest.mark.parametrize(
    "relay",
    [
        "https://evil.test/",
        "//evil.test/",
        "/\\evil.test",
        "\\\\evil.test",
        "javascript:alert(1)",
        "data:text/html,x",
        "home",
        "/a\tb",
        "/a\nb",
        "http:/evil.test",
    ],
)
def test_off_site_relay_states_are_refused(relay: str) -> None:
    with pytest.raises(Refusal) as err:
        local_path(relay)
    assert err.value.code == "relay-state-offsite"


@given(st.text(max_size=40))
def test_an_accepted_relay_state_never_leaves_the_site(relay: str) -> None:
    try:
        path = local_path(relay)
    except Refusal:
        return
    if path is None:
        return
    target = urlsplit(urljoin("https://sp.test/fo/", path))
    assert (target.scheme, target.netloc) == ("https", "sp.test")


def test_cookies_over_https(new_world) -> None:
    w: World = new_world(sp_config={"base_url": "https://sp.test"})
    c = Client(w.sp)
    r = c.get("/fo/login.php", query_string={"idm_key": IDM_KEY})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("sp_browser="))
    # The browser cookie must come along on the IdP's cross-site POST: SameSite=None, so Secure.
    assert "Secure" in cookie and "SameSite=None" in cookie and "HttpOnly" in cookie


def test_cookies_over_http_are_lax(world: World) -> None:
    c = Client(world.sp)
    r = c.get("/fo/login.php", query_string={"idm_key": IDM_KEY})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("sp_browser="))
    assert "SameSite=Lax" in cookie and "Secure" not in cookie


def test_an_unexpected_error_is_a_400_not_a_500(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(request):
        raise KeyError("internal")

    monkeypatch.setattr(world.sp, "_whoami", boom)
    r = Client(world.sp).get("/whoami")
    assert r.status_code == 400 and r.headers["X-SAML-Reason"] == "bad-request"
    assert "Traceback" not in r.get_data(as_text=True) and "internal" not in r.get_data(as_text=True)


def test_reconfigure_takes_effect(world: World) -> None:
    from dataclasses import replace

    c = Client(world.sp)
    assert c.get("/fo/login.php", query_string={"idm_key": IDM_KEY}).status_code == 302
    world.sp.reconfigure(replace(world.sp_config, subscriptions=[]))
    assert c.get("/fo/login.php", query_string={"idm_key": IDM_KEY}).status_code == 404


def test_the_acs_looks_an_outstanding_request_up_once_before_taking_it(world: World) -> None:
    """The subscription's choice and the look before taking share one SELECT per request ID
    (a per-POST memo); the take itself still removes the row."""
    b = world.browser()
    rid, _ = b.start()
    statements: list[str] = []
    world.sp.store._db.set_trace_callback(statements.append)
    try:
        assert b.post_acs(world.forge(in_response_to=rid)).status_code == 303
    finally:
        world.sp.store._db.set_trace_callback(None)
    looks = [s for s in statements if s.startswith("SELECT") and "FROM outstanding" in s]
    takes = [s for s in statements if s.startswith("DELETE FROM outstanding WHERE id=")]
    assert len(looks) == 1 and len(takes) == 1
    assert world.sp.store.peek_request(rid) is None
