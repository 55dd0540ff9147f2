"""What every subcommand shares: opening the workspace, choosing a subscription, printing errors in words."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.core.workspace import DB_NAME, Workspace, WorkspaceBusy, WorkspaceError, default_workspace_dir

NO_SUBSCRIPTION = "the workspace has no subscription; create one with `saml-harness onboard`"


def workspace_path(args: argparse.Namespace) -> Path:
    """--workspace, or the default demo workspace's directory."""
    return Path(args.workspace).expanduser() if getattr(args, "workspace", None) else default_workspace_dir()


def open_workspace(args: argparse.Namespace, *, route: bool = True) -> Workspace:
    """The workspace as its writer; when a running harness (serve, the app) holds it and `route`,
    a RoutedWorkspace whose saves go through that harness's control API."""
    try:
        return Workspace.open_or_demo(workspace_path(args))
    except WorkspaceBusy as busy:
        if not route:
            raise
        from harness.core.routed_workspace import RoutedWorkspace

        ws = RoutedWorkspace.connect(workspace_path(args), busy)
        print(
            f"note: the workspace is open in a running harness (pid {ws.control.pid}); changes go through it",
            file=sys.stderr,
        )
        return ws


def open_read_only(args: argparse.Namespace, *, write: bool = False) -> Workspace:
    """An existing workspace opens read-only, so the command may run beside the app or `serve`;
    a missing one is made from the demo (and is then writable), as is one when `write` is asked."""
    path = workspace_path(args)
    if not write and (path / DB_NAME).exists():
        return Workspace(path, read_only=True)
    return open_workspace(args)


def pick_subscription(ws: Workspace, idm_key: str | None) -> tuple[str, str]:
    """(the idm_key to work on: the one named, else the first subscription's; a problem in words, or "")."""
    subs = ws.subscriptions()
    if not subs:
        return "", NO_SUBSCRIPTION
    key = idm_key or subs[0].idm_key
    if ws.subscription(key) is None:
        return key, f"no subscription has the idm_key {key!r} (have: {', '.join(s.idm_key for s in subs)})"
    return key, ""


def no_such_user(ws: Workspace, username: str) -> str:
    return f"the mock IdP has no user {username!r} (have: {', '.join(u.username for u in ws.users())})"


class OutputFileError(Exception):
    """A file the user asked for (--report, --save-trace, --save-har) could not be written."""


def write_output(path: str, text: str) -> None:
    """Write a file the user named; a bad path is an error in words (the CLI exits 2), not a traceback."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        raise OutputFileError(f"cannot write {path}: {err.strerror or err}") from err


def fail(message: str, code: int = 2) -> int:
    print(f"saml-harness: {message}", file=sys.stderr)
    return code


__all__ = [
    "NO_SUBSCRIPTION",
    "OutputFileError",
    "WorkspaceError",
    "fail",
    "no_such_user",
    "open_read_only",
    "open_workspace",
    "pick_subscription",
    "write_output",
    "workspace_path",
]
