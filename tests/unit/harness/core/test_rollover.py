"""A certificate rollover, stage by stage and end to end over loopback, with no failed login."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from harness.core import rollover
from harness.core.cli import main
from harness.core.rollover_rehearsal import rehearse
from harness.core.servers import Servers
from harness.core.workspace import DB_NAME, Workspace
from sp.trust import cert_sha256, trusted_certs


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.demo(tmp_path / "ws")
    yield w
    w.close()


def test_the_rehearsal_logs_in_at_every_stage_and_says_which_certificate_verified(ws: Workspace) -> None:
    old = cert_sha256(ws.subscription("4711").idp_cert_pem)
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        stages = rehearse(servers, idm_key="4711", username="frank")  # TOTP: a full login each time
    assert [(s.stage, s.ok, s.verified_by) for s in stages] == [
        ("before", True, "only"),
        ("add", True, "old"),
        ("switch", True, "new"),
        ("remove", True, "only"),
    ]
    new = stages[2].fingerprint
    assert stages[0].fingerprint == stages[1].fingerprint == old != new == stages[3].fingerprint
    assert all(s.login == "frank" for s in stages)
    sub = ws.subscription("4711")
    assert cert_sha256(sub.idp_cert_pem) == new and sub.idp_cert_pem_next == b""
    assert rollover.signing_key_for_sp(ws) == "idp-signing-2"
    checks = [c for s in stages[2].trace.steps for c in s.checks if c.name == "Assertion signature"]
    assert checks and "the new certificate of the rollover" in checks[0].detail


def test_stages_that_would_break_logins_are_refused(ws: Workspace) -> None:
    with pytest.raises(rollover.RolloverError, match="no rollover in progress"):
        rollover.switch(ws)
    with pytest.raises(rollover.RolloverError, match="no old one to remove"):
        rollover.remove(ws)
    stage = rollover.add(ws)
    assert stage.idm_keys == ["4711"] and [c.role for c in trusted_certs(ws.subscription("4711"))] == ["old", "new"]
    with pytest.raises(rollover.RolloverError, match="already trusts two certificates"):
        rollover.add(ws)
    with pytest.raises(rollover.RolloverError, match="Switch first"):
        rollover.remove(ws)
    rollover.switch(ws)
    rollover.remove(ws)
    assert [c.role for c in trusted_certs(ws.subscription("4711"))] == ["only"]


def test_switching_is_refused_while_a_subscription_trusts_only_the_old_certificate(ws: Workspace) -> None:
    from dataclasses import replace

    second = replace(ws.subscription("4711"), idm_key="5000", name="Globex", accounts=[])
    ws.save_subscription(second)
    rollover.add(ws, ["4711"])
    with pytest.raises(rollover.RolloverError, match="Globex trusts only the current certificate"):
        rollover.switch(ws)
    assert rollover.signing_key_for_sp(ws) == "idp-signing"


def test_a_workspace_from_before_rollovers_opens_with_one_certificate(ws: Workspace) -> None:
    """Migration: subscriptions saved without idp_cert_pem_next read it as empty (no rollover)."""
    path = ws.path
    ws.close()
    db = sqlite3.connect(str(path / DB_NAME))
    (data,) = db.execute("SELECT data FROM doc WHERE kind='subscription' AND key='4711'").fetchone()
    old = json.loads(data)
    old.pop("idp_cert_pem_next")
    db.execute("UPDATE doc SET data=? WHERE kind='subscription' AND key='4711'", (json.dumps(old),))
    db.commit()
    db.close()
    ws.__init__(path)
    sub = ws.subscription("4711")
    assert sub.idp_cert_pem_next == b"" and [c.role for c in trusted_certs(sub)] == ["only"]
    assert "idp_cert_pem_next" in ws.to_json()["subscriptions"][0]


def test_cli_rollover_rehearse_and_status(ws: Workspace, capsys) -> None:
    ws.close()
    assert main(["--workspace", str(ws.path), "rollover", "rehearse", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert "RESULT: rollover rehearsed with no failed login" in out
    assert "verified by the old certificate" in out and "verified by the new certificate" in out
    assert main(["--workspace", str(ws.path), "rollover", "remove"]) == 2
    assert "no old one to remove" in capsys.readouterr().err
    assert main(["--workspace", str(ws.path), "rollover", "status"]) == 0
    assert "the mock IdP signs with 'idp-signing-2'" in capsys.readouterr().out
    ws.__init__(ws.path)


def test_the_questionnaire_carries_a_second_certificate_into_the_subscription(ws: Workspace, tmp_path: Path) -> None:
    from dataclasses import replace

    from harness.core.onboarding import onboard
    from harness.core.questionnaire import Questionnaire
    from samlkit.metadata_xml import idp_metadata

    nxt = ws.keypair("idp-old").cert_pem.decode()
    q = replace(Questionnaire.from_mock_idp(ws, subscription="r_mgr"), idp_certificate_next=nxt)
    assert [p for p in q.validate() if p.level == "error"] == []
    again = Questionnaire.loads(q.dumps())
    assert again.idp_certificate_next.strip() == nxt.strip()
    sub = onboard(ws, again).subscription
    assert [c.role for c in trusted_certs(ws.subscription(sub.idm_key))] == ["old", "new"]
    assert Questionnaire.from_subscription(ws.subscription(sub.idm_key)).idp_certificate_next.strip() == nxt.strip()
    bad = replace(q, idp_certificate_next="garbage")
    assert any(p.field == "idp_certificate_next" and p.level == "error" for p in bad.validate())
    expired = replace(q, idp_certificate_next=ws.keypair("idp-expired").cert_pem.decode())
    assert any(p.field == "idp_certificate_next" and "expired" in p.message for p in expired.validate())
    same = replace(q, idp_certificate_next=q.idp_certificate)
    assert any("same certificate" in p.message for p in same.validate())
    # IdP metadata that lists two valid signing certificates (a rollover in progress): both are taken.
    md = idp_metadata(entity_id="urn:x", sso_url="https://idp.x/sso", cert_pem=ws.keypair("idp-signing").cert_pem)
    extra = '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
    body = "".join(ln for ln in nxt.splitlines() if "-----" not in ln)
    md = md.replace(
        "<md:SingleSignOnService",
        extra + body + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService",
        1,
    )
    filled = Questionnaire.from_metadata(md.encode())
    assert filled.idp_certificate_next and filled.cert_pem_next == ws.keypair("idp-old").cert_pem


def test_the_checklist_names_the_certificate_that_verified_during_the_overlap(ws: Workspace) -> None:
    from harness.core.checklist import run_demo

    rollover.add(ws, ["4711"])
    rollover.switch(ws)
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        report = run_demo(servers, idm_key="4711", username="alice")
    assert report.passed
    reason = report.step("session").reason
    assert "the Assertion verifies with the new certificate of the rollover (SHA-256 " in reason, reason


def test_the_idps_metadata_lists_both_certificates_while_the_rollover_overlaps(ws: Workspace) -> None:
    import urllib.request

    from harness.core.questionnaire import Questionnaire

    def published(servers: Servers) -> list[str]:
        with urllib.request.urlopen(servers.idp_base + "/metadata", timeout=30) as r:
            text = r.read().decode()
        return [
            cert_sha256(b"-----BEGIN CERTIFICATE-----\n" + c.encode() + b"\n-----END CERTIFICATE-----")
            for c in (part.split("</")[0] for part in text.split("X509Certificate>")[1::2])
        ]

    old = cert_sha256(ws.keypair("idp-signing").cert_pem)
    with Servers(ws, sp_port=0, idp_port=0) as servers:
        assert published(servers) == [old]
        rollover.add(ws)
        servers.reload()
        new = cert_sha256(ws.keypair("idp-signing-2").cert_pem)
        assert published(servers) == [old, new]
        filled = Questionnaire.from_metadata(servers.idp_base + "/metadata")
        assert (cert_sha256(filled.cert_pem), cert_sha256(filled.cert_pem_next)) == (old, new)
        mock = Questionnaire.from_mock_idp(ws)
        assert (cert_sha256(mock.cert_pem), cert_sha256(mock.cert_pem_next)) == (old, new)
        rollover.switch(ws)
        servers.reload()
        assert published(servers) == [new, old]
        rollover.remove(ws)
        servers.reload()
        assert published(servers) == [new]
    assert ws.idp_profile().rollover_key == ""


def test_cli_rehearse_without_a_subscription_rolls_over_every_subscription_on_that_idp(ws: Workspace, capsys) -> None:
    """Two subscriptions trusting the IdP: the rehearsal must not stop at the switch with one left behind."""
    from dataclasses import replace

    ws.save_subscription(replace(ws.subscription("4711"), idm_key="5000", name="Globex", accounts=[]))
    ws.close()
    assert main(["--workspace", str(ws.path), "rollover", "rehearse", "--user", "alice"]) == 0
    assert "RESULT: rollover rehearsed with no failed login" in capsys.readouterr().out
    ws.__init__(ws.path)
    new = ws.keypair("idp-signing-2").cert_pem
    assert [ws.subscription(k).idp_cert_pem for k in ("4711", "5000")] == [new, new]
