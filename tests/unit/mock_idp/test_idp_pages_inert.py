"""Every mock IdP page that echoes request-derived text (errors, the login form, the auto-post
form, the signed-out page): markup escaped and control or direction characters never sent raw."""

from __future__ import annotations

from urllib.parse import quote

from saml_helpers import HOSTILE_CONTROLS, HOSTILE_MARKUP, World, assert_inert, forms, reason, saml_form
from werkzeug.test import Client

from mock_idp import slo_fanout
from mock_idp.sessions import Participant
from mock_idp.slo_run import LogoutRun, Target

EVIL = HOSTILE_MARKUP + HOSTILE_CONTROLS


def test_the_404_page_does_not_echo_the_path_raw(world: World) -> None:
    r = Client(world.idp).get("/" + quote(EVIL.encode("utf-8")))
    assert r.status_code == 404 and reason(r) == "not-found"
    html = r.get_data(as_text=True)
    assert_inert(html)
    assert "&lt;script&gt;" in html and "\\x1b" in html  # shown, visibly


def test_an_unknown_sp_is_named_inertly(world: World) -> None:
    r = Client(world.idp).get("/start", query_string={"sp": EVIL})
    assert reason(r) == "unknown-sp"
    assert_inert(r.get_data(as_text=True))


def test_the_login_form_echoes_the_username_inertly(world: World) -> None:
    c = Client(world.idp)
    page = c.get("/start", query_string={"sp": world.sp_config.entity_id, "user": EVIL})
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True))
    form = forms(page.get_data(as_text=True))[0]
    wrong = c.post("/login", data={**form.fields, "username": EVIL, "password": "x"})
    assert wrong.status_code == 401
    assert_inert(wrong.get_data(as_text=True))


def test_the_auto_post_form_carries_the_relay_state_inertly(world: World) -> None:
    c = Client(world.idp)
    page = c.get("/start", query_string={"sp": world.sp_config.entity_id, "user": "dave", "RelayState": EVIL})
    form = forms(page.get_data(as_text=True))[0]
    done = c.post("/login", data={**form.fields, "password": "dave-pw"})
    html = done.get_data(as_text=True)
    assert_inert(html)
    assert saml_form(html).fields["RelayState"].startswith(HOSTILE_MARKUP)  # markup kept as text


def test_the_signed_out_page_shows_each_sps_detail_inertly(world: World) -> None:
    run = LogoutRun("dave", [], results=[(EVIL, False, EVIL)])
    run.targets.append(Target(EVIL, Participant(EVIL, EVIL, "", "_1"), result=(False, EVIL)))
    assert_inert(slo_fanout.finished_page(world.idp, run, EVIL).get_data(as_text=True))


def test_the_logout_page_and_its_frames_name_each_sp_inertly(world: World) -> None:
    """An SP's display name comes from its metadata: the fan-out page and a frame's page escape it."""
    run = LogoutRun("dave", [Participant(world.sp_config.entity_id, "dave", "", "_1")])
    target = Target(EVIL, run.queue[0], result=(False, EVIL))
    run.targets.append(target)
    assert_inert(slo_fanout._fan_out_page(world.idp, run).get_data(as_text=True))
    assert_inert(slo_fanout.answered_page(world.idp, target).get_data(as_text=True))
