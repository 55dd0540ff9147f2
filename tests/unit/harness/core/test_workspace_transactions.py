"""Compound saves are one transaction: an import or a rename is applied whole or not at all."""

from __future__ import annotations

import pytest

from harness.core.workspace import WorkspaceError
from mock_idp.model import IdPUser


def test_import_with_a_bad_entry_changes_nothing(demo):
    before = demo.to_json()
    doc = {
        "idp": dict(before["idp"], entity_id="https://changed.example/"),
        "users": [{"username": "zoe", "password": "pw"}, "not an object"],
    }
    with pytest.raises(WorkspaceError, match="malformed"):
        demo.load_json(doc)
    assert demo.to_json() == before


@pytest.mark.parametrize(
    "doc",
    [
        {"subscriptions": [["a"]]},
        {"subscriptions": [{"idm_key": "9", "exit_url": None}]},
        {"users": [{"username": "zoe", "password": "pw", "groups": "admins"}]},
        {"users": [{"username": "zoe", "password": 7}]},
        {"sp": {"port": "8443"}},
        {"subscriptions": [{"idm_key": "9", "accounts": [{"login": "x", "saml_enabled": "yes"}]}]},
    ],
)
def test_import_refuses_wrong_types_in_words(demo, doc):
    before = demo.to_json()
    with pytest.raises(WorkspaceError, match="malformed"):
        demo.load_json(doc)
    assert demo.to_json() == before
    demo.sp_config("http://127.0.0.1:1", "http://127.0.0.1:2")  # the servers can still be configured


def test_a_failed_rename_keeps_the_user(demo, monkeypatch):
    alice = demo.user("alice")
    renamed = IdPUser(**{**alice.__dict__, "username": "alicia"})
    real_put = demo._put

    def failing_put(kind, key, data):  # the crash after the delete
        if kind == "idp_user":
            raise OSError("disk gone")
        return real_put(kind, key, data)

    monkeypatch.setattr(demo, "_put", failing_put)
    with pytest.raises(OSError):
        demo.save_user(renamed, old_username="alice")
    monkeypatch.undo()
    assert demo.user("alice") is not None and demo.user("alicia") is None
    demo.save_user(renamed, old_username="alice")  # and the workspace is not stuck in a transaction
    assert demo.user("alicia") is not None and demo.user("alice") is None
