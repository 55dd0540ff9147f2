import json
import sqlite3

import pytest

from harness.core.workspace import Rule, Workspace, WorkspaceError
from mock_idp.model import IdPUser
from sp.model import Account, Subscription


def test_demo_has_every_mapping_case(demo):
    users = [u.username for u in demo.users()]
    assert users == ["alice", "bob", "carol", "dave", "erin", "frank"]
    (sub,) = demo.subscriptions()
    assert sub.idm_key == "4711" and sub.nds_enabled and sub.mapping_mode == "either"
    assert sorted(a.login for a in sub.accounts if a.external_id == "dave") == ["demo_dd1", "demo_dd2"]
    assert not next(a for a in sub.accounts if a.login == "carol").saml_enabled
    assert demo.keypair_names() == ["idp-expired", "idp-old", "idp-signing", "sp-encryption-4711", "sp-signing"]
    assert demo.keypair("idp-expired").status() == "expired"


def test_the_demo_subscription_decrypts_with_its_own_key_pair_kept_out_of_the_document(demo):
    """The encryption key is a 0600 file in keys/, named by the subscription, filled in for the SP."""
    (sub,) = demo.subscriptions()
    assert (sub.encryption_key, sub.assertion_encryption, sub.encryption_allow_rsa15) == (
        "sp-encryption-4711",
        "accept",
        False,
    )
    assert (demo.keys_dir / "sp-encryption-4711.key.pem").stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" not in json.dumps(demo.to_json())
    (served,) = demo.sp_config("http://sp", "http://idp").subscriptions
    assert served.encryption_key_pem == demo.keypair("sp-encryption-4711").key_pem
    assert served.encryption_cert_pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_reopen_sees_saved_state(tmp_path, demo):
    demo.save_user(IdPUser("zoe", "pw", groups=["x"]))
    path = demo.path
    demo.close()
    again = Workspace(path)
    assert again.user("zoe").groups == ["x"]
    again.close()


def test_rename_user_keeps_order_and_refuses_clash(demo):
    alice = demo.user("alice")
    alice.username = "alicia"
    demo.save_user(alice, old_username="alice")
    assert demo.user("alice") is None and demo.user("alicia") is not None
    bob = demo.user("bob")
    bob.username = "alicia"
    with pytest.raises(WorkspaceError, match="already a user"):
        demo.save_user(bob, old_username="bob")


def test_saml_needs_new_data_security_model(demo):
    sub = Subscription(idm_key="9", nds_enabled=False, accounts=[Account("x", saml_enabled=True)])
    with pytest.raises(WorkspaceError, match="New Data Security Model"):
        demo.save_subscription(sub)
    assert demo.subscription("9") is None


def test_duplicate_logins_refused(demo):
    with pytest.raises(WorkspaceError, match="share a login"):
        demo.save_subscription(Subscription(idm_key="9", accounts=[Account("x"), Account("x")]))


def test_json_round_trip(tmp_path, demo):
    demo.set_rules([Rule("g", "Scanner", ["A"])])
    data = demo.to_json()
    copy = Workspace.from_json(tmp_path / "copy", json.loads(json.dumps(data)), keys_from=demo.keys_dir)
    assert copy.to_json() == data
    copy.close()


def test_malformed_json_leaves_no_workspace(tmp_path):
    with pytest.raises(WorkspaceError):
        Workspace.from_json(tmp_path / "bad", {"users": [{"nope": 1}]})
    assert not (tmp_path / "bad").exists()


def test_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="not a workspace"):
        Workspace(tmp_path)
    (tmp_path / "workspace.sqlite").write_bytes(b"garbage" * 100)
    with pytest.raises(WorkspaceError, match="not a readable workspace"):
        Workspace(tmp_path)


def test_saves_are_transactions(demo):
    """A failing save leaves the database as it was (one transaction per save)."""
    before = demo.to_json()
    db = sqlite3.connect(demo.path / "workspace.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with pytest.raises(WorkspaceError):
        demo.save_user(IdPUser("", "pw"))
    assert demo.to_json() == before


def test_revision_changes_with_each_commit_of_another_connection(demo):
    """The servers poll it per request: a change committed elsewhere shows at once; its own do not."""
    start = demo.revision()
    assert demo.revision() == start
    demo.save_user(IdPUser(username="zoe", password="pw"))  # its own connection
    assert demo.revision() == start
    other = sqlite3.connect(str(demo.path / "workspace.sqlite"), isolation_level=None)
    seen = {start}
    for i in range(3):
        other.execute("INSERT OR REPLACE INTO meta VALUES ('probe', ?)", (str(i),))
        now = demo.revision()
        assert now not in seen and demo.revision() == now
        seen.add(now)
    other.close()
