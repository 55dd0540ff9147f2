"""Red team of the mock IdP's SLO endpoint over loopback HTTP: signed LogoutRequests that are old,
replayed or carried by another browser must end no session, and each refusal names its reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import lxml.html
import pytest
from slo_helpers import signed_in

from harness.core.browser import ScriptedBrowser
from harness.core.servers import Servers
from samlkit import binding, logout

pytestmark = pytest.mark.usefixtures("no_process_spawned")



@pytest.fixture
def servers(demo):
    sub = demo.subscription("4711")
    demo.save_subscription(replace(sub, slo_binding="post"))
    with Servers(demo, sp_port=0, idp_port=0) as s:
        yield s






def _users(servers: Servers) -> list[str]:
    return sorted(s.username for s in servers.idp_app.sessions.snapshot())


def _sp_signed(servers: Servers, now: dt.datetime | None = None, *, lifetime: bool = True) -> binding.Outgoing:
    """A LogoutRequest for alice signed with the SP's real key, as an SP that sends no SessionIndex
    (and, without `lifetime`, no NotOnOrAfter: it is optional) would."""
    root = logout.logout_request(
        issuer=servers.idp_app.config.sps[0].entity_id, destination=servers.idp_base + "/slo", name_id="alice", now=now
    )
    if not lifetime:
        del root.attrib["NotOnOrAfter"]
    kp = servers.workspace.keypair("sp-signing")
    return binding.send(
        root, param="SAMLRequest", binding="post", relay_state=None, key_pem=kp.key_pem, cert_pem=kp.cert_pem
    )


def test_a_month_old_logout_request_without_not_on_or_after_is_refused(servers, opened) -> None:
    alice = signed_in(servers, opened, "alice")
    out = _sp_signed(servers, dt.datetime.now(dt.UTC) - dt.timedelta(days=30), lifetime=False)
    page = alice.post(out.destination, {"SAMLRequest": out.value})
    assert (page.status, page.reason_code) == (400, "expired"), (page.url, page.status, page.reason_code)
    assert _users(servers) == ["alice"]


def test_a_logout_request_issued_in_the_future_is_refused(servers, opened) -> None:
    alice = signed_in(servers, opened, "alice")
    out = _sp_signed(servers, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    page = alice.post(out.destination, {"SAMLRequest": out.value})
    assert (page.status, page.reason_code) == (400, "not-yet-valid")
    assert _users(servers) == ["alice"]


def test_a_replayed_logout_request_does_not_end_the_next_session(servers, opened) -> None:
    """Captured once (no SessionIndex, within its lifetime), replayed in the user's browser after
    they signed in again: the IdP acted on that request already and refuses it (`replayed`)."""
    alice = signed_in(servers, opened, "alice")
    out = _sp_signed(servers)
    alice.post(out.destination, {"SAMLRequest": out.value})
    assert _users(servers) == []  # the genuine request ended the session
    alice.get(servers.login_url("4711"))
    assert _users(servers) == ["alice"]
    page = alice.post(out.destination, {"SAMLRequest": out.value})
    assert (page.status, page.reason_code) == (400, "replayed")
    assert _users(servers) == ["alice"]


def _started_run(servers: Servers, browser: ScriptedBrowser) -> tuple[str, list[str]]:
    """The browser opens the IdP's logout page and stops there: (its run token, its frames' URLs)."""
    page = browser._fetch("GET", servers.idp_base + "/logout", None, {"Sec-Fetch-Site": "none"})
    doc = lxml.html.fromstring(page.text)
    (form,) = [f for f in doc.forms if f.get("data-after-frames") is not None]
    return form.fields["run"], [servers.idp_base + f.get("src") for f in doc.iter("iframe")]


def test_another_browsers_logout_run_cannot_be_driven_or_finished_here(servers, opened) -> None:
    """The attacker starts a logout of their own session, lets its frames log them out, and has the
    victim's browser post its run token (CSRF): the victim must not see "You are signed out" (with
    `X-SAML-Logout: complete`) while their IdP session lives, nor end or drive the attacker's run."""
    victim = signed_in(servers, opened, "alice")
    attacker = signed_in(servers, opened, "bob")
    token, frames = _started_run(servers, attacker)
    page = victim._fetch("GET", frames[0], None)
    assert (page.status, page.reason_code) == (400, "logout-run-other-browser")
    for frame in frames:
        attacker._go("GET", frame, None, in_frame=True)
    page = victim._fetch("POST", servers.idp_base + "/slo/done", {"run": token})
    assert (page.status, page.reason_code) == (400, "logout-run-other-browser")
    assert "X-SAML-Logout" not in page.headers and "signed out" not in page.text
    assert _users(servers) == ["alice"]
    page = attacker._fetch("POST", servers.idp_base + "/slo/done", {"run": token})  # still its own to finish
    assert (page.status, page.headers.get("X-SAML-Logout")) == (200, "complete")


def test_another_site_cannot_sign_the_user_out_of_the_idp(servers, opened) -> None:
    """A link, redirect or form of another site to the IdP's /logout (logout CSRF) ends nothing: the
    browser says it came cross-site (or says nothing), and the IdP asks first, as the SP's logout does."""
    victim = signed_in(servers, opened, "alice")
    logout_url = servers.idp_base + "/logout"
    for site in ("cross-site", "same-site", None):
        page = victim._fetch("GET", logout_url, None, {"Sec-Fetch-Site": site} if site else None)
        assert page.status == 200 and 'id="confirm-logout"' in page.text and "X-SAML-Logout" not in page.headers
    page = victim._fetch("POST", logout_url, {})  # a cross-site form: it cannot know the token
    assert (page.status, page.reason_code) == (403, "csrf")
    assert _users(servers) == ["alice"]
    page = victim._fetch("POST", logout_url, {"csrf": "0" * 32})
    assert (page.status, page.reason_code) == (403, "csrf") and _users(servers) == ["alice"]
    confirm = victim.get(logout_url)  # the person confirms on the IdP's own page
    assert 'id="confirm-logout"' in confirm.text
    page = victim.post(logout_url, _confirm_fields(confirm.text))
    assert page.headers.get("X-SAML-Logout") == "complete" and _users(servers) == []


def _confirm_fields(html: str) -> dict[str, str]:
    (form,) = lxml.html.fromstring(html).forms
    return {i.name: i.value or "" for i in form.inputs if i.name}
