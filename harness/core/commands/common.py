"""What every subcommand shares: opening the workspace, printing errors in words."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.core.workspace import Workspace, WorkspaceError, default_workspace_dir


def open_workspace(args: argparse.Namespace) -> Workspace:
    path = Path(args.workspace) if getattr(args, "workspace", None) else default_workspace_dir()
    return Workspace.open_or_demo(path)


def fail(message: str, code: int = 2) -> int:
    print(f"saml-harness: {message}", file=sys.stderr)
    return code


__all__ = ["open_workspace", "fail", "WorkspaceError"]
