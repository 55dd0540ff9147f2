"""Onboarding: a questionnaire becomes a subscription's trust and unique URL; many side by side."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.cli import main
from harness.core.external_sp import ExternalSPError, add_external_sp, idp_for_sp_from_metadata
from harness.core.flow import run_flow
from harness.core.onboarding import OnboardingError, login_url, new_idm_key, onboard, set_saml, update_trust
from harness.core.questionnaire import Questionnaire
from harness.core.servers import Servers
from harness.core.workspace import Workspace, WorkspaceError
from samlkit import ns
from samlkit.metadata_xml import sp_metadata
from sp.model import Account


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


def mock_q(ws: Workspace, contact: str = "abcd_ef") -> Questionnaire:
    return Questionnaire.from_mock_idp(ws, subscription=contact)


def test_onboarding_creates_the_trust_a_fresh_numeric_key_and_the_primary_contact(ws: Workspace) -> None:
    q = mock_q(ws)
    done = onboard(ws, q, name="Acme", mapping="external_id")
    sub = ws.subscription(done.subscription.idm_key)
    assert sub is not None and sub.idm_key.isdigit() and len(sub.idm_key) == 6
    assert (sub.name, sub.primary_contact, sub.mapping_mode) == ("Acme", "abcd_ef", "external_id")
    assert (sub.idp_entity_id, sub.idp_sso_url, sub.exit_url) == (q.idp_entity_id, q.idp_sso_url, q.exit_url)
    assert sub.idp_cert_pem == q.cert_pem and sub.nds_enabled
    [manager] = sub.accounts
    assert (manager.login, manager.role, manager.saml_enabled) == ("abcd_ef", "Manager", False)
    assert manager.password == done.api_password and len(done.api_password) >= 12
    assert done.login_url == f"http://127.0.0.1:8443/fo/login.php?idm_key={sub.idm_key}"
    assert (
        login_url(ws, sub.idm_key, "http://127.0.0.1:5555")
        == f"http://127.0.0.1:5555/fo/login.php?idm_key={sub.idm_key}"
    )


def test_an_invalid_questionnaire_is_refused_with_its_problems(ws: Workspace) -> None:
    before = len(ws.subscriptions())
    with pytest.raises(OnboardingError) as err:
        onboard(ws, replace(mock_q(ws), idp_entity_id="", idp_sso_url="mailto:x@y"))
    fields = [p.field for p in err.value.problems]
    assert fields == ["idp_entity_id", "idp_sso_url"]
    assert "is empty" in str(err.value) and "not an http(s) URL" in str(err.value)
    assert len(ws.subscriptions()) == before
    with pytest.raises(OnboardingError, match="not one of login, external_id, either"):
        onboard(ws, mock_q(ws), mapping="email")
    with pytest.raises(OnboardingError, match="already has the idm_key 4711"):
        onboard(ws, mock_q(ws), idm_key="4711")


def test_idm_keys_are_unique(ws: Workspace) -> None:
    keys = {new_idm_key(ws, digits=1) for _ in range(40)} - {"4711"}
    assert keys <= set("123456789")
    made = {onboard(ws, mock_q(ws, f"c{i}_x")).subscription.idm_key for i in range(5)}
    assert len(made) == 5 and "4711" not in made


def test_two_subscriptions_side_by_side_two_urls_two_sessions(ws: Workspace) -> None:
    """The FAQ: a customer with two subscriptions onboards twice and gets two URLs."""
    a = onboard(ws, mock_q(ws, "acme_mgr"), name="Acme EU").subscription
    b = onboard(ws, mock_q(ws, "acme_us"), name="Acme US").subscription
    for sub, login in ((a, "alice"), (b, "alice_us")):
        accounts = [*sub.accounts, Account(login, external_id="alice" if login != "alice" else "", saml_enabled=True)]
        ws.save_subscription(replace(ws.subscription(sub.idm_key), accounts=accounts, mapping_mode="either"))
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        urls = {servers.login_url(a.idm_key), servers.login_url(b.idm_key)}
        assert len(urls) == 2
        eu = run_flow(servers, kind="sp", idm_key=a.idm_key, username="alice")
        us = run_flow(servers, kind="sp", idm_key=b.idm_key, username="alice")
    assert (eu.whoami["subscription"], eu.session_login) == (a.idm_key, "alice")
    assert (us.whoami["subscription"], us.session_login) == (b.idm_key, "alice_us")


def test_without_the_new_data_security_model_saml_cannot_be_enabled(ws: Workspace) -> None:
    sub = onboard(ws, mock_q(ws), nds_enabled=False).subscription
    ws.save_subscription(replace(sub, accounts=[*sub.accounts, Account("alice")]))
    with pytest.raises(WorkspaceError, match="New Data Security Model"):
        set_saml(ws, sub.idm_key, "alice")
    with pytest.raises(WorkspaceError, match="has no account 'zed'"):
        set_saml(ws, sub.idm_key, "zed")
    acct = set_saml(ws, "4711", "carol", external_id="carol@demo-corp.example")
    assert acct.saml_enabled and ws.subscription("4711").accounts[3].external_id == "carol@demo-corp.example"


def test_update_trust_replaces_the_certificate(ws: Workspace) -> None:
    q = replace(Questionnaire.from_subscription(ws.subscription("4711")))
    q.idp_certificate = ws.keypair("idp-old").cert_pem.decode()
    assert update_trust(ws, "4711", q).idp_cert_pem == ws.keypair("idp-old").cert_pem
    with pytest.raises(OnboardingError, match="no subscription"):
        update_trust(ws, "999", q)


# -- external SPs served by the mock IdP ------------------------------------------------------


def test_external_sp_from_metadata() -> None:
    md = (
        f'<md:EntityDescriptor xmlns:md="{ns.MD}" entityID="https://app.example/sp">'
        f'<md:SPSSODescriptor protocolSupportEnumeration="{ns.SAMLP}">'
        f"<md:NameIDFormat>{ns.NAMEID_FORMATS['emailAddress']}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{ns.BINDING_REDIRECT}" Location="https://app.example/r" index="0"/>'
        f'<md:AssertionConsumerService Binding="{ns.BINDING_POST}" Location="https://app.example/p2" index="2"/>'
        f'<md:AssertionConsumerService Binding="{ns.BINDING_POST}" Location="https://app.example/p1" index="1"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    s = idp_for_sp_from_metadata(md.encode(), name="App")
    assert (s.entity_id, s.acs_url, s.name) == ("https://app.example/sp", "https://app.example/p1", "App")
    assert (s.nameid_format, s.nameid_source, s.sign) == ("emailAddress", "email", "both")
    assert idp_for_sp_from_metadata(md.encode(), sign="assertion").sign == "assertion"
    with pytest.raises(ExternalSPError, match="no AssertionConsumerService with the HTTP-POST binding"):
        idp_for_sp_from_metadata(md.replace(ns.BINDING_POST, ns.BINDING_REDIRECT).encode())
    with pytest.raises(ExternalSPError, match="no SPSSODescriptor"):
        idp_for_sp_from_metadata(md.replace("SPSSODescriptor", "IDPSSODescriptor").encode())


def test_add_external_sp_saves_it_beside_the_embedded_sp(ws: Workspace) -> None:
    add_external_sp(ws, sp_metadata(entity_id="https://other.example", acs_url="https://other.example/acs"))
    assert [s.entity_id for s in ws.idp_for_sps()] == ["QualysGuard_SharedPlatformSAML20SP", "https://other.example"]


def test_the_embedded_sps_own_metadata_is_refused_and_its_registration_kept(
    ws: Workspace, tmp_path: Path, capsys
) -> None:
    """`onboard --export-sp` then `--external-sp` on that file would pin the embedded SP to one run's ports."""
    assert run_cli(capsys, ws, "onboard", "--export-sp", str(tmp_path / "out"), "--idm-key", "4711")[0] == 0
    before = ws.idp_for_sps()
    code, _, err = run_cli(capsys, ws, "onboard", "--external-sp", str(tmp_path / "out" / "sp-metadata.xml"))
    assert code == 2 and "is the embedded SP's own entityID" in err
    assert ws.idp_for_sps() == before
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        assert run_flow(servers, kind="sp", idm_key="4711", username="alice").session_login == "alice"


# -- the command (it opens the workspace itself, as the writer: the test's copy is closed first) -------------


def run_cli(capsys: pytest.CaptureFixture[str], ws: Workspace, *argv: str) -> tuple[int, str, str]:
    ws.close()
    code = main(["--workspace", str(ws.path), *argv])
    out = capsys.readouterr()
    ws.__init__(ws.path)  # reopen the same object for the test's assertions
    return code, out.out, out.err


def test_cli_onboard_from_a_questionnaire_prints_the_unique_url(ws: Workspace, tmp_path: Path, capsys) -> None:
    path = mock_q(ws).save(tmp_path / "q.toml")
    code, out, _ = run_cli(capsys, ws, "onboard", str(path), "--name", "Acme", "--mapping", "either")
    assert code == 0
    key = next(s.idm_key for s in ws.subscriptions() if s.name == "Acme")
    assert f"unique login URL: http://127.0.0.1:8443/fo/login.php?idm_key={key}" in out
    assert "API account:   abcd_ef / " in out


def test_cli_refuses_an_invalid_questionnaire_with_the_messages(ws: Workspace, tmp_path: Path, capsys) -> None:
    path = replace(mock_q(ws), idp_certificate="garbage", subscription="").save(tmp_path / "q.toml")
    code, _, err = run_cli(capsys, ws, "onboard", str(path))
    assert code == 2
    assert "IdP certificate: the certificate does not parse" in err and "primary contact" in err
    code, out, _ = run_cli(capsys, ws, "onboard", str(path), "--check")
    assert code == 1 and "2 problem(s) to fix" in out


def test_cli_from_metadata_save_and_export(ws: Workspace, tmp_path: Path, capsys) -> None:
    from samlkit.metadata_xml import idp_metadata

    md = tmp_path / "idp.xml"
    md.write_text(
        idp_metadata(
            entity_id="urn:x:idp", sso_url="https://idp.x.example/sso", cert_pem=ws.keypair("idp-signing").cert_pem
        )
    )
    code, out, _ = run_cli(
        capsys,
        ws,
        "onboard",
        "--from-metadata",
        str(md),
        "--subscription",
        "x_mgr",
        "--save-questionnaire",
        str(tmp_path / "q.toml"),
        "--export-sp",
        str(tmp_path / "sp"),
    )
    assert code == 0, out
    assert Questionnaire.load(tmp_path / "q.toml").idp_entity_id == "urn:x:idp"
    # Saving the questionnaire creates nothing: onboarding that file is the second step.
    assert not any(s.idp_entity_id == "urn:x:idp" for s in ws.subscriptions())
    assert "SP entityID" in (tmp_path / "sp" / "sp-side.txt").read_text()
    code, out, _ = run_cli(capsys, ws, "onboard", str(tmp_path / "q.toml"), "--export-sp", str(tmp_path / "sp"))
    assert code == 0, out
    key = next(s.idm_key for s in ws.subscriptions() if s.idp_entity_id == "urn:x:idp")
    assert f"idm_key={key}" in (tmp_path / "sp" / "sp-side.txt").read_text()
    code, _, err = run_cli(
        capsys, ws, "onboard", "--from-metadata", str(tmp_path / "missing.xml"), "--subscription", "x"
    )
    assert code == 2 and "does not exist" in err


def test_cli_external_sp_and_nothing_to_do(ws: Workspace, tmp_path: Path, capsys) -> None:
    md = tmp_path / "sp.xml"
    md.write_text(sp_metadata(entity_id="https://app.example", acs_url="https://app.example/acs"))
    code, out, _ = run_cli(capsys, ws, "onboard", "--external-sp", str(md))
    assert code == 0 and "the mock IdP now serves https://app.example" in out
    code, _, err = run_cli(capsys, ws, "onboard")
    assert code == 2 and "nothing to do" in err


def test_cli_no_nds_message_reaches_the_user(ws: Workspace, tmp_path: Path, capsys) -> None:
    path = mock_q(ws, "nonds_mgr").save(tmp_path / "q.toml")
    code, out, _ = run_cli(capsys, ws, "onboard", str(path), "--no-nds")
    assert code == 0 and "lacks the New Data Security Model" in out
    key = next(s.idm_key for s in ws.subscriptions() if s.primary_contact == "nonds_mgr")
    code, _, err = run_cli(
        capsys, ws, "checklist", "--subscription", key, "--user", "alice", "--account", "nonds_mgr", "--enable-saml"
    )
    assert code == 2 and "SAML cannot be enabled for nonds_mgr" in err and "New Data Security Model" in err


def test_the_readmes_two_steps_make_exactly_one_subscription(ws: Workspace, tmp_path: Path, capsys) -> None:
    before = len(ws.subscriptions())
    q = tmp_path / "q.toml"
    code, out, _ = run_cli(
        capsys, ws, "onboard", "--from-mock-idp", "--subscription", "abcd_ef", "--save-questionnaire", str(q)
    )
    assert code == 0 and f"questionnaire written to {q}" in out and "next: saml-harness onboard" in out
    assert len(ws.subscriptions()) == before
    code, out, _ = run_cli(capsys, ws, "onboard", str(q), "--name", "Acme", "--mapping", "either")
    assert code == 0, out
    assert len(ws.subscriptions()) == before + 1


def test_the_unique_url_names_the_port_the_harness_really_serves(ws: Workspace) -> None:
    """While the workspace's harness serves (on a free port here), onboarding prints its URL."""
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        done = onboard(ws, mock_q(ws, "port_mgr"))
        assert done.login_url == f"{servers.sp_base}/fo/login.php?idm_key={done.subscription.idm_key}"
        assert not servers.sp_base.endswith(":8443")
    later = onboard(ws, mock_q(ws, "port_mgr2"))
    assert later.login_url.startswith("http://127.0.0.1:8443/")  # stopped: the profile's port


def test_external_sp_registers_every_http_post_acs_of_its_metadata(tmp_path: Path) -> None:
    md = (
        f'<md:EntityDescriptor xmlns:md="{ns.MD}" entityID="https://app.example">'
        f'<md:SPSSODescriptor protocolSupportEnumeration="{ns.SAMLP}">'
        f'<md:AssertionConsumerService Binding="{ns.BINDING_POST}" Location="https://app.example/a" index="1"/>'
        f'<md:AssertionConsumerService Binding="{ns.BINDING_POST}" Location="https://app.example/b" index="2" '
        'isDefault="true"/>'
        '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS" '
        'Location="https://app.example/ecp" index="3"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    s = idp_for_sp_from_metadata(md.encode())
    assert (s.acs_url, s.acs_index, s.acs_others) == ("https://app.example/b", 2, {"1": "https://app.example/a"})
