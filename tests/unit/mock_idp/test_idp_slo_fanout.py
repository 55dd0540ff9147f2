"""mock_idp.slo_fanout: the logout page's frames and its end refuse what is not a logout in
progress, each frame sends once, and an SP that cannot be asked counts as not logged out."""

from __future__ import annotations

from dataclasses import replace

from saml_helpers import reason
from slo_helpers import Walker, slo_world
from werkzeug.test import Client

from mock_idp.contract import LOGOUT_HEADER


def test_frames_and_the_end_of_an_unknown_logout_are_refused(new_world) -> None:
    idp = Client(slo_world(new_world).idp)
    for r in (
        idp.get("/slo/frame", query_string={"run": "nope", "n": "0"}),
        idp.get("/slo/frame"),
        idp.post("/slo/done", data={"run": "nope"}),
        idp.get("/slo/done", query_string={"run": "nope"}),
    ):
        assert r.status_code == 400 and reason(r) == "logout-run-unknown"


def test_each_frame_sends_its_logout_request_once(new_world) -> None:
    world = slo_world(new_world)
    b = world.browser()
    assert b.login("alice").status_code == 303
    fan_out = b.idp.get("/logout", headers={"Sec-Fetch-Site": "none"})  # the tester opens it
    assert fan_out.status_code == 200 and fan_out.headers["X-Frame-Options"] == "DENY"
    (src,) = Walker._frames(fan_out)
    first = b.idp.get(src)
    assert first.status_code == 302 and "SAMLRequest=" in first.headers["Location"]
    again = b.idp.get(src)
    assert again.status_code == 400 and reason(again) == "logout-run-unknown"
    out_of_range = b.idp.get(src.replace("n=0", "n=1"))
    assert reason(out_of_range) == "logout-run-unknown"


def test_an_sp_that_cannot_be_asked_is_not_logged_out_and_the_logout_is_partial(new_world) -> None:
    world = slo_world(new_world)
    b = world.browser()
    assert b.login("alice").status_code == 303
    (sp,) = world.idp.config.sps
    world.idp.reconfigure(replace(world.idp.config, sps=[replace(sp, encrypt_name_id=True, encryption_cert_pem=None)]))
    page = Walker(b).go(world.idp.config.base_url + "/logout")
    text = page.get_data(as_text=True)
    assert page.headers[LOGOUT_HEADER] == "partial" and "no LogoutRequest sent" in text
    assert 'data-service-result="not-logged-out"' in text
    final = world.verdicts()[-1]
    assert (final.actor, final.ok, final.code) == ("idp", False, "partial-logout")
    assert b.whoami()[0] == 200  # that SP was never told
    assert world.idp.sessions.count() == 0
