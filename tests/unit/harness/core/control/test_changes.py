"""Routed workspace changes: applied through the typed methods, all or none."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from harness.core.control.changes import apply_changes
from harness.core.control.errors import ApiError
from harness.core.workspace_records import _sub_to_json


def test_put_delete_rules_and_keys_are_applied(demo):
    zoe = {"username": "zoe", "password": "pw", "groups": ["a"]}
    kp = demo.keypair("idp-old")
    n = apply_changes(
        demo,
        [
            {"op": "put", "kind": "idp_user", "key": "zoe", "data": zoe},
            {"op": "delete", "kind": "idp_user", "key": "carol"},
            {"op": "replace_all", "kind": "rule", "items": [["0000", {"group": "a", "role": "Reader"}]]},
            {"op": "keypair", "name": "copy", "key_pem": kp.key_pem.decode(), "cert_pem": kp.cert_pem.decode()},
        ],
    )
    assert n == 4
    assert demo.user("zoe").groups == ["a"] and demo.user("carol") is None
    assert [r.role for r in demo.rules()] == ["Reader"]
    assert demo.keypair("copy").cert_pem == kp.cert_pem


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "put", "kind": "idp_user", "key": "x", "data": {"username": "y", "password": "p"}},
        {"op": "put", "kind": "idp_user", "key": "x", "data": {"username": "x", "password": 3}},
        {"op": "put", "kind": "secrets", "key": "x", "data": {}},
        {"op": "put", "kind": "idp_user", "key": "x", "data": "nope"},
        {"op": "delete", "kind": "profile", "key": "idp"},
        {"op": "keypair", "name": "k", "key_pem": "nope", "cert_pem": "nope"},
        {"op": "replace_all", "kind": "rule", "items": [["0", {"group": 1, "role": "x"}]]},
        {"op": "shell"},
        "not an object",
    ],
)
def test_one_bad_change_saves_nothing(demo, bad):
    before = demo.to_json()
    with pytest.raises(ApiError) as err:
        apply_changes(demo, [{"op": "delete", "kind": "idp_user", "key": "alice"}, bad])
    assert err.value.status == 400
    assert demo.to_json() == before


def test_the_workspace_checks_still_run(demo):
    sub = demo.subscriptions()[0]
    sub.nds_enabled = False  # SAML-enabled accounts without the NDS model: the workspace refuses
    with pytest.raises(ApiError) as err:
        apply_changes(demo, [{"op": "put", "kind": "subscription", "key": sub.idm_key, "data": _sub_to_json(sub)}])
    assert err.value.code == "workspace-refused" and "New Data Security Model" in err.value.message
    assert demo.subscriptions()[0].nds_enabled


def test_too_many_changes_are_refused(demo):
    change = {"op": "put", "kind": "idp_user", "key": "x", "data": asdict(demo.user("alice")) | {"username": "x"}}
    with pytest.raises(ApiError):
        apply_changes(demo, [change] * 1001)
