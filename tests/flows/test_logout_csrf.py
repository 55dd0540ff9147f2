"""Another site cannot log the tester out; the tester's own click and typed URL still do."""

from __future__ import annotations

from lxml import html as lxml_html
from saml_helpers import World, assert_refused

EXIT_URL_STATUS = 302


def _logged_in(world: World):
    b = world.browser()
    assert b.login().status_code == 303
    return b


def test_a_cross_site_get_shows_a_confirmation_and_keeps_the_session(world: World) -> None:
    b = _logged_in(world)
    for site in ("cross-site", "same-site", None):  # a link on another site; an old browser that does not say
        headers = {"Sec-Fetch-Site": site} if site else {}
        r = b.sp.get("/fo/logout.php", headers=headers)
        assert r.status_code == 200 and 'id="confirm-logout"' in r.get_data(as_text=True)
        assert b.whoami()[0] == 200, site


def test_the_confirmation_form_logs_out(world: World) -> None:
    b = _logged_in(world)
    page = b.sp.get("/fo/logout.php", headers={"Sec-Fetch-Site": "cross-site"})
    form = lxml_html.fromstring(page.get_data(as_text=True)).forms[0]
    r = b.sp.post(form.action, data=dict(form.form_values()))
    assert r.status_code == EXIT_URL_STATUS and r.headers["Location"] == world.sub.exit_url
    assert b.whoami()[0] == 401


def test_a_cross_site_post_without_the_token_is_refused(world: World) -> None:
    b = _logged_in(world)
    assert_refused(b.sp.post("/fo/logout.php", data={}), "csrf", 403)
    assert_refused(b.sp.post("/fo/logout.php", data={"csrf": "0" * 32}), "csrf", 403)
    assert b.whoami()[0] == 200
    # the token belongs to one session: another browser's does not work here
    other = _logged_in(world)
    page = other.sp.get("/fo/logout.php", headers={"Sec-Fetch-Site": "cross-site"})
    token = lxml_html.fromstring(page.get_data(as_text=True)).forms[0].form_values()
    assert_refused(b.sp.post("/fo/logout.php", data=dict(token)), "csrf", 403)
    assert b.whoami()[0] == 200 and other.whoami()[0] == 200


def test_the_testers_own_click_and_typed_url_log_out_at_once(world: World) -> None:
    for site in ("same-origin", "none"):
        b = _logged_in(world)
        r = b.sp.get("/fo/logout.php", headers={"Sec-Fetch-Site": site})
        assert r.status_code == EXIT_URL_STATUS and r.headers["Location"] == world.sub.exit_url
        assert b.whoami()[0] == 401


def test_the_home_page_link_is_the_apps_own_logout(world: World) -> None:
    b = _logged_in(world)
    assert 'href="/fo/logout.php"' in b.sp.get("/home").get_data(as_text=True)
