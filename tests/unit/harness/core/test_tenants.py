"""Two subscriptions on the demo's one IdP, over loopback: onboarding warns, IdP-initiated logins
reach the chosen subscription, and a wrong EntityID is the questionnaire's fault."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.checklist import FAIL, QUESTIONNAIRE, run_demo
from harness.core.flow import run_flow
from harness.core.onboarding import onboard, set_saml
from harness.core.questionnaire import Questionnaire
from harness.core.servers import Servers
from harness.core.tenants import already_trusted_warning, trusting
from harness.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


def second_tenant(ws: Workspace, **q_changes: str) -> str:
    q = replace(Questionnaire.from_mock_idp(ws, subscription="alice"), **q_changes)
    done = onboard(ws, q, name="Globex")
    set_saml(ws, done.subscription.idm_key, "alice")
    return done.subscription.idm_key


def test_onboarding_the_same_idp_twice_warns_and_says_what_the_idp_must_send(ws: Workspace) -> None:
    entity = ws.idp_profile().entity_id
    assert [s.idm_key for s in trusting(ws, entity)] == ["4711"]
    assert already_trusted_warning(ws, "urn:nobody", "1") is None
    done = onboard(ws, Questionnaire.from_mock_idp(ws, subscription="g_mgr"), name="Globex")
    [warning] = [w for w in done.warnings if w.field == "idp_entity_id"]
    assert warning.level == "warning" and "Demo Corp (idm_key 4711)" in warning.message
    assert f"RelayState idm_key={done.subscription.idm_key}" in warning.message


def test_idp_initiated_login_reaches_the_subscription_the_tester_chose(ws: Workspace) -> None:
    key = second_tenant(ws)
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        for chosen in ("4711", key):
            result = run_flow(servers, kind="idp", idm_key=chosen, username="alice")
            assert result.whoami.get("subscription") == chosen, result.trace.outcome_detail
        assert f"RelayState=idm_key%3D{key}" in servers.idp_start_url(idm_key=key)


def test_a_wrong_idp_entity_id_is_diagnosed_as_the_questionnaires_fault(ws: Workspace) -> None:
    key = second_tenant(ws, idp_entity_id="https://idp.demo-corp.example/saml2")
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        report = run_demo(servers, idm_key=key, username="alice")
    step = report.step("session")
    assert step.status == FAIL and step.side == QUESTIONNAIRE, (step.reason, step.side)
    assert "issuer-mismatch" in step.reason and "EntityID" in step.fix


def test_the_sp_side_tells_the_idp_admin_which_relay_state_reaches_the_subscription(ws: Workspace) -> None:
    from harness.core.questionnaire import sp_side

    text = sp_side(ws, idm_key="4711").text()
    assert "with the RelayState idm_key=4711 (the IdP's default RelayState" in text
    assert "IdP-initiated: post an unsolicited Response to the ACS URL." in sp_side(ws).text()
