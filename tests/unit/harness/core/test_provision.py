"""Provisioning: group rules → roles and scopes, synced through the SP's user API (never SAML)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import requests

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.cli import main
from harness.core.flow import run_flow
from harness.core.onboarding import onboard
from harness.core.provision import ProvisionError, UserAPI, manager_credentials, sync
from harness.core.questionnaire import Questionnaire
from harness.core.servers import Servers
from harness.core.workspace import Rule, Workspace
from mock_idp.model import IdPUser

RULES = [Rule("admins", "Manager", ["All"]), Rule("secops", "Scanner", ["DMZ"]), Rule("audit", "Reader", ["Audit"])]


def user(name: str, *groups: str, first: str = "", last: str = "") -> IdPUser:
    return IdPUser(name, "pw", email=f"{name}@corp.test", first_name=first, last_name=last, groups=list(groups))


# -- through the API, on loopback -----------------------------------------------------------------


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.demo(tmp_path / "ws")
    w.set_rules(RULES)
    for u in w.users():
        w.delete_user(u.username)
    for u in (
        user("alice", "admins", first="Alice"),
        user("bob", "secops"),
        user("carol", "audit"),
        user("erin", "marketing"),
    ):
        w.save_user(u)
    yield w
    w.close()


def accounts_of(ws: Workspace, key: str = "4711") -> dict[str, object]:
    return {a.login: a for a in ws.subscription(key).accounts}


def test_sync_creates_updates_and_deactivates_and_dry_run_changes_nothing(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        api = UserAPI(servers.sp_base, *manager_credentials(ws, "4711"))
        before = api.list()[1]
        dry = sync(ws, api, idm_key="4711", dry_run=True)
        assert api.list()[1] == before and not dry.applied
        assert dry.summary() == "dry run: would create 0, change 3, deactivate 0"
        assert [c.login for c in dry.plan.changes] == ["alice", "demo_bb", "carol"]

        out = sync(ws, api, idm_key="4711")
        assert (out.created, out.changed, out.deactivated, out.failed) == ([], ["alice", "demo_bb", "carol"], [], [])
        acc = accounts_of(ws)
        assert (acc["carol"].role, acc["carol"].scope, acc["carol"].saml_enabled) == ("Reader", ["Audit"], True)
        assert acc["demo_bb"].scope == ["DMZ"]  # bob is linked to demo_bb by External ID (mapping "either")

        ws.save_user(user("erin", "secops"))
        ws.save_user(user("bob", "marketing"))
        ws.save_user(user("alice", "audit", first="Alice"))
        servers.reload()
        out = sync(ws, api, idm_key="4711")
        assert (out.created, out.changed, out.deactivated) == (["erin"], ["alice"], ["demo_bb"])
        acc = accounts_of(ws)
        assert (acc["erin"].role, acc["erin"].scope, acc["erin"].saml_enabled) == ("Scanner", ["DMZ"], True)
        assert acc["alice"].role == "Reader" and acc["demo_bb"].active is False

        ws.delete_user("erin")
        out = sync(ws, api, idm_key="4711")
        assert out.deactivated == ["erin"] and "left the IdP directory" in out.plan.deactivates[0].reason
        assert sync(ws, api, idm_key="4711").plan.empty

        # the provisioned account signs in with SAML (erin is back in the directory)
        ws.save_user(user("erin", "secops"))
        servers.reload()
        sync(ws, api, idm_key="4711")
        servers.reload()
        result = run_flow(servers, kind="sp", idm_key="4711", username="erin", password="pw")
        assert result.session_login == "erin" and result.whoami["role"] == "Scanner"
        api.close()


def test_the_api_refuses_a_saml_session_and_a_wrong_password(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        browser = ScriptedBrowser(Credentials("alice", "pw"))
        browser.get(servers.login_url("4711"))
        assert browser.get(servers.sp_base + "/whoami").status == 200  # a SAML session is open
        r = browser.session.get(servers.sp_base + "/api/2.0/fo/user/?action=list", timeout=10)
        assert (r.status_code, r.headers["X-SAML-Reason"]) == (401, "api-saml-session-refused")
        browser.close()
        bad = UserAPI(servers.sp_base, "demo_mgr", "wrong")
        with pytest.raises(ProvisionError) as err:
            bad.list()
        assert (err.value.code, err.value.status) == ("api-auth-required", 401)
        reader = UserAPI(servers.sp_base, "demo_mgr", manager_credentials(ws, "4711")[1])
        assert reader.list()[0] == "4711"
        r = requests.post(
            servers.sp_base + "/api/2.0/fo/user/",
            data={"action": "add", "login": "x"},
            auth=("demo_mgr", manager_credentials(ws, "4711")[1]),
            timeout=10,
        )
        assert r.headers["X-SAML-Reason"] == "csrf"  # writes need X-Requested-With, which UserAPI sends
        reader.close()


def test_one_user_in_two_subscriptions_gets_two_urls(ws: Workspace) -> None:
    """The FAQ: two subscriptions, two onboardings, two URLs; the same IdP user signs in to each."""
    q = Questionnaire.from_mock_idp(ws, subscription="acme_mgr")
    second = onboard(ws, q, name="Acme", mapping="external_id").subscription
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        api = UserAPI(servers.sp_base, *manager_credentials(ws, second.idm_key))
        out = sync(ws, api, idm_key=second.idm_key, mode="external_id")
        api.close()
        assert out.created == ["acme_al", "acme_bo", "acme_ca"]  # initials, or the username's first letters
        servers.reload()
        first = run_flow(servers, kind="sp", idm_key="4711", username="alice", password="pw")
        other = run_flow(servers, kind="sp", idm_key=second.idm_key, username="alice", password="pw")
    assert (first.whoami["subscription"], first.session_login) == ("4711", "alice")
    assert (other.whoami["subscription"], other.session_login) == (second.idm_key, "acme_al")


def test_two_accounts_for_one_user_get_the_picker(ws: Workspace) -> None:
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        api = UserAPI(servers.sp_base, *manager_credentials(ws, "4711"))
        api.add({"login": "alice_ro", "external_id": "alice", "saml_enabled": True, "role": "Reader"})
        plan = sync(ws, api, idm_key="4711", dry_run=True).plan
        assert "alice" in [c.login for c in plan.changes]  # login wins in "either" before External ID is tried
        api.close()
        sub = ws.subscription("4711")
        ws.save_subscription(
            replace(sub, accounts=[replace(a, external_id="alice") if a.login == "alice" else a for a in sub.accounts])
        )
        servers.reload()
        r = run_flow(servers, kind="sp", idm_key="4711", username="alice", password="pw", pick="alice_ro")
    assert r.expected.outcome == "picker" and r.session_login == "alice_ro"


def test_without_nds_the_api_refuses_saml_accounts(ws: Workspace) -> None:
    sub = ws.subscription("4711")
    ws.save_subscription(
        replace(sub, nds_enabled=False, accounts=[replace(a, saml_enabled=False) for a in sub.accounts])
    )
    ws.save_user(user("zed", "audit"))
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        api = UserAPI(servers.sp_base, *manager_credentials(ws, "4711"))
        out = sync(ws, api, idm_key="4711")
        api.close()
    failed = {c.login: c.error_code for c in out.failed}
    assert failed["zed"] == "nds-required" and "New Data Security Model" in out.plan.creates[0].error
    assert out.summary().endswith("failed")


def test_cli_provision_dry_run_and_apply(ws: Workspace, capsys) -> None:
    ws.close()
    argv = ["--workspace", str(ws.path), "provision"]
    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "change     carol: " in out and "not provisioned (no rule matches their groups): erin" in out
    assert out.strip().endswith("dry run: would create 0, change 3, deactivate 0")
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().endswith("created 0, changed 3, deactivated 0")
    assert main([*argv, "--sp-url", "http://127.0.0.1:9"]) == 2
    assert "--sp-url needs --login and --password" in capsys.readouterr().err
    ws.__init__(ws.path)
