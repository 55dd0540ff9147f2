"""A Response posted cross-site arrives without the SP's SameSite=Lax cookie; the SP posts it again
from its own page (same-site, so the cookie comes along) before binding it to the browser."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from saml_helpers import World, assert_refused

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def _bounce_fields(r) -> tuple[str, dict[str, str]]:
    assert r.status_code == 200 and r.headers["X-SAML-Bounce"] == "same-site"
    form = lxml_html.fromstring(r.get_data(as_text=True)).forms[0]
    return form.action, dict(form.form_values())


def test_cookieless_answer_to_our_request_is_re_posted_same_site(world: World) -> None:
    b = world.browser()
    rid, _ = b.start()
    value = world.forge(in_response_to=rid)
    cookie = b.sp.get_cookie("sp_browser")
    b.sp.delete_cookie("sp_browser")  # what a cross-site POST looks like to the SP
    r = b.post_acs(value, relay_state="/home", follow_bounce=False)
    action, fields = _bounce_fields(r)
    assert action == world.sp_config.acs_path
    assert fields == {"SAMLResponse": value, "RelayState": "/home", "SameSiteBounce": "1"}
    assert "<script>" in r.get_data(as_text=True) and "Continue" in r.get_data(as_text=True)
    assert world.verdicts() == [], "nothing is judged before the re-post"
    b.sp.set_cookie("sp_browser", cookie.value)  # the same-site re-post carries the cookie again
    assert b.sp.post(action, data=fields).status_code == 303
    assert b.whoami()[1]["login"] == "alice"


def test_the_re_post_without_the_cookie_is_refused_as_another_browsers(world: World) -> None:
    victim, attacker = world.browser(), world.browser()
    rid, _ = victim.start()
    r = attacker.post_acs(world.forge(in_response_to=rid), follow_bounce=False)
    action, fields = _bounce_fields(r)
    assert_refused(attacker.sp.post(action, data=fields), "in-response-to-other-session", 400)


@pytest.mark.parametrize("in_response_to", [None, "_never-sent"])
def test_no_bounce_when_no_request_of_ours_is_named(world: World, in_response_to: str | None) -> None:
    """Unsolicited or unknown: the cookie does not matter, so the SP answers at once."""
    r = world.browser().post_acs(world.forge(in_response_to=in_response_to), follow_bounce=False)
    assert "X-SAML-Bounce" not in r.headers
    assert r.status_code == (303 if in_response_to is None else 400)


def test_garbage_is_refused_at_once_not_bounced(world: World) -> None:
    assert_refused(world.browser().post_acs("not base64 at all!", follow_bounce=False), "malformed-message")
