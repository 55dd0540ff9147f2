"""Nothing is lost across a restart of the servers (and of the workspace): sessions, accounts, the
outstanding AuthnRequests, the replay cache. Two harnesses on one workspace do not corrupt it."""

from __future__ import annotations

import json
import sqlite3
import threading
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
import requests

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.load import run_load
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from samlkit import codec
from samlkit.safexml import parse

IDM_KEY = "4711"
API = "/api/2.0/fo/user/"
MANAGER = ("demo_mgr", "manager-api-pass")


def ports(s: Servers) -> tuple[int, int]:
    return urlsplit(s.sp_base).port, urlsplit(s.idp_base).port


def start_on(ws: Workspace, where: tuple[int, int]) -> Servers:
    """New apps on the given ports (so URLs and cookies stay valid) and the workspace's state files."""
    new = Servers(ws, sp_port=where[0], idp_port=where[1]).start()
    assert not new.notes, new.notes
    assert ports(new) == where
    return new


def restart(s: Servers) -> Servers:
    where = ports(s)
    s.stop()
    return start_on(s.workspace, where)


def browser_for(ws: Workspace, username: str) -> ScriptedBrowser:
    user = ws.user(username)
    return ScriptedBrowser(Credentials(username, user.password, totp_secret=user.totp_secret))


def whoami(browser: ScriptedBrowser, s: Servers) -> str | None:
    page = browser.get(s.sp_base + "/whoami")
    return json.loads(page.text).get("login")


def posted_response(browser: ScriptedBrowser) -> dict[str, str]:
    """The SAMLResponse (and RelayState) the IdP's self-submitting form carried."""
    for page in browser.history:
        if "SAMLResponse" in page.text:
            form = lxml.html.fromstring(page.text).forms[0]
            return {k: v for k, v in form.form_values()}
    raise AssertionError("no SAMLResponse form in the browser's history")


def test_sessions_accounts_and_replay_cache_survive_a_restart(tmp_path):
    path = tmp_path / "ws"
    ws = Workspace.demo(path)
    s = Servers(ws, sp_port=0, idp_port=0).start()
    alice = browser_for(ws, "alice")
    alice.get(s.login_url(IDM_KEY))
    assert whoami(alice, s) == "alice"
    # An account change through the user API is written to the workspace.
    r = requests.post(
        s.sp_base + API,
        data={"action": "edit", "login": "carol", "saml_enabled": "1"},
        auth=MANAGER,
        headers={"X-Requested-With": "test"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert s.sp_app.store.count_replay() == 1
    where = ports(s)
    s.stop()
    ws.close()

    ws = Workspace(path)  # the whole harness again: workspace, SP state, servers
    s = start_on(ws, where)
    try:
        assert whoami(alice, s) == "alice"  # the session cookie still opens the session
        assert next(a for a in ws.subscription(IDM_KEY).accounts if a.login == "carol").saml_enabled
        carol = browser_for(ws, "carol")
        carol.get(s.login_url(IDM_KEY))
        assert whoami(carol, s) == "carol"
        assert s.sp_app.store.count_replay() == 2
    finally:
        s.stop()
        ws.close()


def test_an_outstanding_request_is_answered_after_a_restart(demo):
    s = Servers(demo, sp_port=0, idp_port=0).start()
    b = browser_for(demo, "alice")
    first = b.session.get(s.login_url(IDM_KEY), allow_redirects=False, timeout=10)
    assert first.status_code == 302
    location = first.headers["Location"]
    request_id = parse(codec.decode_redirect(parse_qs(urlsplit(location).query)["SAMLRequest"][0])).get("ID")
    assert s.sp_app.store.peek_request(request_id) is not None
    s = restart(s)
    try:
        assert s.sp_app.store.peek_request(request_id) is not None
        page = b.get(location)  # on to the (restarted) IdP, sign in, back to the (restarted) SP
        assert page.url == s.sp_base + "/home" and page.status == 200
        assert whoami(b, s) == "alice"
        response = parse(codec.decode_post(posted_response(b)["SAMLResponse"]))
        assert response.get("InResponseTo") == request_id  # a solicited login, matched after the restart
        assert s.sp_app.store.peek_request(request_id) is None  # and answered once only
    finally:
        s.stop()


@pytest.mark.parametrize("kind", ["sp", "idp"])
def test_a_replayed_response_is_refused_after_the_sp_restarts(demo, kind):
    s = Servers(demo, sp_port=0, idp_port=0).start()
    b = browser_for(demo, "alice")
    b.get(s.login_url(IDM_KEY) if kind == "sp" else s.idp_start_url(user="alice"))
    assert whoami(b, s) == "alice"
    captured = posted_response(b)
    s = restart(s)  # a new SP app on the same state path
    try:
        attacker = requests.Session()
        r = attacker.post(s.sp_app.config.acs_url, data=captured, allow_redirects=False, timeout=10)
        assert 400 <= r.status_code < 500
        assert r.headers["X-SAML-Reason"] == "replayed"
        assert "sp_session" not in attacker.cookies
    finally:
        s.stop()


def test_two_harnesses_on_one_workspace_do_not_corrupt_it(demo):
    """The writer and a read-only second harness run logins at once on the same SP state file."""
    other = Workspace(demo.path, read_only=True)
    results = {}
    with Servers(demo, sp_port=0, idp_port=0) as a, Servers(other, sp_port=0, idp_port=0) as b:

        def go(name: str, s: Servers) -> None:
            results[name] = run_load(
                s, kind="sp", idm_key=IDM_KEY, users=["alice", "bob", "frank"], repeat=30, concurrency=4
            )

        threads = [threading.Thread(target=go, args=x) for x in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results["a"].ok, results["a"].report()
        assert results["b"].ok, results["b"].report()
        assert a.sp_app.store.count_replay() == b.sp_app.store.count_replay() == 60  # one shared replay cache
        assert a.sp_app.store.count_requests() == 0
    other.close()
    for name in ("workspace.sqlite", "sp_state.sqlite"):
        db = sqlite3.connect(demo.path / name)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
    assert len(demo.subscription(IDM_KEY).accounts) == 7
