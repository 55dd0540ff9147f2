"""The mock IdP's Content-Security-Policy, page by page: what each page may run, post to and frame.

Every HTML response of these tests is also held to its own policy by the package's conftest
(`_every_page_obeys_its_csp`); here each page's policy is pinned to what it needs.
"""

from __future__ import annotations

from dataclasses import replace

from csp_check import directives
from saml_helpers import IDP_BASE, SP_BASE, Browser, forms
from slo_helpers import SLO_PATH, Walker, slo_world
from werkzeug.test import Client, TestResponse

from mock_idp import slo_fanout
from mock_idp.sessions import Participant
from mock_idp.slo_run import Initiator, LogoutRun
from samlkit.csp import source_hash
from samlkit.html import AUTO_POST_SCRIPT

CSP = "Content-Security-Policy"


def policy(r: TestResponse) -> dict[str, list[str]]:
    assert r.mimetype == "text/html", r.mimetype
    return directives(r.headers[CSP])


def test_the_sign_in_and_second_factor_forms_post_to_the_idp_only(new_world) -> None:
    b = new_world().browser()
    _, start = b.start()
    form = b.idp_get(start.headers["Location"])
    d = policy(form)
    assert d["form-action"] == ["'self'"] and d["frame-ancestors"] == ["'none'"] and "script-src" not in d
    assert form.headers["X-Frame-Options"] == "DENY"
    fields = next(f for f in forms(form.get_data(as_text=True)) if f.action == "/login").fields
    wrong = b.idp.post("/login", data={**fields, "username": "alice", "password": "nope"})
    assert wrong.status_code == 401 and policy(wrong)["form-action"] == ["'self'"]
    mfa = b.idp.post("/login", data={**fields, "username": "tina", "password": "tina-pw"})  # she has a TOTP
    assert "Second factor" in mfa.get_data(as_text=True) and policy(mfa)["form-action"] == ["'self'"]


def test_pages_without_a_form_post_nowhere(new_world) -> None:
    idp = Client(new_world().idp)
    for r in (idp.get("/"), idp.get("/nowhere"), idp.get("/login"), idp.get("/sso")):
        d = policy(r)
        assert d["form-action"] == ["'none'"] and d["frame-ancestors"] == ["'none'"], r.request.path
        assert "script-src" not in d


def test_the_self_posting_response_runs_its_own_script_only_and_names_no_form_action(new_world) -> None:
    """Chromium holds a form's POST and every redirect after it to form-action, and an SP's ACS goes
    on to its application wherever that lives: the page cannot bound it (samlkit.csp)."""
    b = new_world().browser()
    _, start = b.start()
    page = b.sign_in(b.idp_get(start.headers["Location"]), "alice", "alice-pw")
    d = policy(page)
    assert d["script-src"] == [source_hash(AUTO_POST_SCRIPT)]
    assert "form-action" not in d and d["frame-ancestors"] == ["'none'"] and d["default-src"] == ["'none'"]
    assert b.deliver(page).status_code == 303  # and the login goes through


def _signed_in(world) -> Browser:
    b = world.browser()
    assert b.login("alice").status_code == 303
    return b


def test_the_logout_page_frames_the_idp_and_each_sps_slo_origin_only(new_world) -> None:
    world = slo_world(new_world)
    b = _signed_in(world)
    fan_out = b.idp.get("/logout", headers={"Sec-Fetch-Site": "none"})
    d = policy(fan_out)
    assert d["frame-src"] == ["'self'", SP_BASE] and d["form-action"] == ["'self'"]
    assert d["frame-ancestors"] == ["'none'"] and len(d["script-src"]) == 1
    (src,) = Walker._frames(fan_out)
    frame = b.idp.get(src)
    assert frame.status_code == 302 and frame.headers["Location"].startswith(SP_BASE + SLO_PATH)


def test_the_pages_shown_in_its_frames_may_be_framed_by_the_idp_only(new_world) -> None:
    world = slo_world(new_world, idp_sp={"slo_binding": "post"})
    b = _signed_in(world)
    (src,) = Walker._frames(b.idp.get("/logout", headers={"Sec-Fetch-Site": "none"}))
    post = b.idp.get(src)  # the LogoutRequest's self-posting page, in the frame
    d = policy(post)
    assert d["frame-ancestors"] == ["'self'"] and "form-action" not in d
    assert post.headers["X-Frame-Options"] == "SAMEORIGIN"
    target = replace(slo_fanout.Target("SP", Participant("sp", "alice", "f", "s")), result=(True, "done"))
    answered = slo_fanout.answered_page(world.idp, target)
    a = directives(answered.headers[CSP])
    assert a["frame-ancestors"] == ["'self'"] and a["form-action"] == ["'none'"] and len(a["script-src"]) == 1


def test_a_logout_an_sp_asked_for_names_no_form_action(new_world) -> None:
    """Its end goes to the asking SP, then to that SP's exit URL, which the IdP does not know."""
    world = slo_world(new_world)
    sp = world.idp_sp
    run = LogoutRun(
        "alice",
        [Participant(sp.entity_id, "alice", "f", "s")],
        initiator=Initiator("https://asking.example/sp", "_req", None),
    )
    d = directives(slo_fanout.start(world.idp, run).headers[CSP])
    assert "form-action" not in d and d["frame-src"] == ["'self'", SP_BASE]


def test_an_slo_url_without_a_clean_origin_reaches_no_header(new_world) -> None:
    world = slo_world(new_world, idp_sp={"slo_url": "http://sp.test:99999/slo"})
    b = _signed_in(world)
    d = policy(b.idp.get("/logout", headers={"Sec-Fetch-Site": "none"}))
    assert d["frame-src"] == ["'self'"]
    assert IDP_BASE not in str(d)  # 'self' names the IdP
