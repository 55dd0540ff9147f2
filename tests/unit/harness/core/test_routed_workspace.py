"""Commands that change a workspace held by a running harness send their changes through its control API."""

from __future__ import annotations

import argparse
import json

import pytest

from harness.core.cli import main
from harness.core.commands.common import open_workspace
from harness.core.control.endpoint import CONTROL_NAME
from harness.core.routed_workspace import RoutedWorkspace
from harness.core.workspace import WorkspaceBusy, WorkspaceError
from mock_idp.model import IdPUser


def _args(path) -> argparse.Namespace:
    return argparse.Namespace(workspace=str(path))


def test_saves_go_to_the_running_harness_and_reach_its_servers(saml_harness, saml_workspace_dir, capsys):
    ws = open_workspace(_args(saml_workspace_dir))
    try:
        assert isinstance(ws, RoutedWorkspace)
        assert "changes go through it" in capsys.readouterr().err
        ws.save_user(IdPUser("zoe", "pw", email="zoe@example.org"))
        assert saml_harness.servers.idp_app.config.user("zoe") is not None  # applied by the harness
        assert ws.user("zoe").email == "zoe@example.org"  # and read back directly
    finally:
        ws.close()


def test_a_transaction_travels_as_one_batch_all_or_none(saml_harness, saml_workspace_dir):
    ws = open_workspace(_args(saml_workspace_dir))
    try:
        with pytest.raises(WorkspaceError, match="did not take the change"):
            with ws._transaction():
                ws.save_user(IdPUser("one", "pw"))
                ws._put("idp_user", "two", {"username": "not-two", "password": "pw"})
        assert ws.user("one") is None
    finally:
        ws.close()


def test_commands_run_beside_the_harness_and_the_next_login_sees_it(saml_harness, saml_workspace_dir, capsys):
    args = ["--workspace", str(saml_workspace_dir)]
    assert main([*args, "certs", "make", "beside"]) == 0
    assert "beside" in saml_harness.workspace.keypair_names()
    assert saml_harness.login(saml_harness.sp_login_url(), "carol").page.reason_code == "saml-disabled-for-user"
    assert main([*args, "provision", "--all"]) == 0  # its rules enable SAML for carol's account
    assert "changes go through it" in capsys.readouterr().err
    assert saml_harness.login(saml_harness.sp_login_url(), "carol").status == 200


def test_without_a_control_api_the_lock_still_refuses(saml_harness, saml_workspace_dir):
    (saml_workspace_dir / CONTROL_NAME).unlink()
    with pytest.raises(WorkspaceBusy, match="already open"):
        open_workspace(_args(saml_workspace_dir))


def test_a_control_file_of_another_process_is_not_trusted(saml_harness, saml_workspace_dir):
    path = saml_workspace_dir / CONTROL_NAME
    path.write_text(json.dumps(json.loads(path.read_text()) | {"pid": 1}))
    with pytest.raises(WorkspaceBusy):
        open_workspace(_args(saml_workspace_dir))


def test_serve_never_routes(saml_harness, saml_workspace_dir):
    with pytest.raises(WorkspaceBusy):
        open_workspace(_args(saml_workspace_dir), route=False)


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["certs", "list"], "idp-signing"),
        (["certs", "show", "idp-signing"], "SHA-256"),
        (["rollover", "status"], "the mock IdP signs with"),
        (["encryption", "show"], "policy accept"),
    ],
)
def test_commands_that_only_read_run_beside_the_harness_without_the_routing_note(
    saml_harness, saml_workspace_dir, capsys, argv, shown
):
    assert main(["--workspace", str(saml_workspace_dir), *argv]) == 0
    out = capsys.readouterr()
    assert shown in out.out and "changes go through it" not in out.err
