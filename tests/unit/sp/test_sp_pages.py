"""sp.pages and every SP page that echoes request-derived text: markup escaped and control or
direction characters (NUL, ESC, DEL, C1, bidi overrides) never sent raw."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from csp_check import directives
from saml_helpers import HOSTILE_CONTROLS, HOSTILE_MARKUP, HOSTILE_XML_CONTROLS, World, assert_inert, reason
from werkzeug.test import Client

from samlkit.events import Check
from sp import pages
from sp.logout import confirm_page

EVIL = HOSTILE_MARKUP + HOSTILE_CONTROLS


def test_the_404_page_does_not_echo_the_path_raw(world: World) -> None:
    r = Client(world.sp).get("/" + quote(EVIL.encode("utf-8")))
    assert r.status_code == 404 and reason(r) == "not-found"
    html = r.get_data(as_text=True)
    assert_inert(html)
    assert "&lt;script&gt;" in html and "\\x1b" in html  # shown, visibly


def test_a_refusal_quoting_the_relay_state_is_inert(world: World) -> None:
    r = Client(world.sp).get(
        world.sp_config.login_path, query_string={"idm_key": world.sub.idm_key, "RelayState": "//" + EVIL}
    )
    assert r.status_code == 400 and reason(r) == "relay-state-offsite"
    assert_inert(r.get_data(as_text=True))


def test_a_refusal_quoting_the_idm_key_is_inert(world: World) -> None:
    r = Client(world.sp).get(world.sp_config.login_path, query_string={"idm_key": EVIL})
    assert reason(r) == "unknown-subscription"
    assert_inert(r.get_data(as_text=True))


def test_a_refusal_quoting_the_name_id_is_inert(world: World) -> None:
    evil = HOSTILE_MARKUP + HOSTILE_XML_CONTROLS  # what XML can carry

    def bend(resp, assertion) -> None:
        assertion.find(".//{urn:oasis:names:tc:SAML:2.0:assertion}NameID").text = evil

    r = world.browser().post_acs(world.forge(before_sign=bend))
    assert reason(r) == "user-not-found"
    assert_inert(r.get_data(as_text=True))


PAGES = {
    "refusal": lambda e: pages.refusal_page(e, e, [Check(name=e, ok=False, detail=e)]),
    "home signed in": lambda e: pages.home_page(
        {"login": e, "subscription_name": e, "via": e, "role": e, "scope": [e], "identity": e}, []
    ),
    "home subscriptions": lambda e: pages.home_page(None, [(e, e, e)]),
    "picker": lambda e: pages.picker_page(e, e, [{"login": e, "role": e}]),
    "logged out": lambda e: pages.logged_out_page(e),
    "logout confirmation": lambda e: confirm_page(e, e),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_is_inert_whatever_its_values(name: str) -> None:
    assert_inert(PAGES[name](EVIL))


def test_the_sp_own_forms_post_to_the_sp_and_where_its_answer_redirects_only() -> None:
    """The picker and the logout confirmation obey their policies (tests/csp_check.py); the
    confirmation also names the exit URL's and the IdP SLO URL's origins, since browsers hold the
    redirect after its POST to form-action, and nothing else a URL carries."""
    from csp_check import check_page

    from samlkit import csp
    from sp.logout import confirm_policy
    from sp.model import Subscription

    picker = check_page(pages.picker_page("t", "v", [{"login": "a", "role": "r"}]), csp.PAGE.header, "http://sp/x")
    assert picker["form-action"] == ["'self'"]
    sub = Subscription("k", exit_url="https://app.example/bye?x=1", idp_slo_url="http://idp.test:8080/slo")
    confirm = check_page(confirm_page("t", "s"), confirm_policy(sub).header, "http://sp/fo/logout.php")
    assert confirm["form-action"] == ["'self'", "https://app.example", "http://idp.test:8080"]
    assert directives(confirm_policy(Subscription("k", exit_url="/bye")).header)["form-action"] == ["'self'"]
    smuggled = Subscription("k", exit_url="https://a.example */x", idp_slo_url="https://b.example;script-src *")
    assert directives(confirm_policy(smuggled).header)["form-action"] == ["'self'"]
