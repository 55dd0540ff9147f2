"""`saml-harness`: the desktop app without arguments, headless subcommands otherwise (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import warnings

# pysaml2 imports a cipher mode that `cryptography` deprecates; a user should not see that.
warnings.filterwarnings("ignore", message=".*CFB.*")

from harness.core.workspace import WorkspaceError  # noqa: E402

# Each module registers its own subcommand; a missing optional one is skipped.
COMMANDS = ["serve", "flow", "decode", "certs", "onboard", "checklist", "battery", "provision"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saml-harness",
        description="A test harness for SAML 2.0 single sign-on: a vendor-style SP and a mock IdP on loopback.",
    )
    parser.add_argument("--workspace", metavar="DIR", help="workspace directory (default: the demo workspace)")
    sub = parser.add_subparsers(dest="command")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"harness.core.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"harness.core.commands.{name}":
                raise
            continue
        module.register(sub)
    for p in sub.choices.values():
        p.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS, help="workspace directory")
    return parser


GUI_MISSING = (
    "saml-harness: the desktop app needs Qt, which is not installed: pip install 'saml-harness[gui]'. "
    "Without it, use the subcommands (serve, flow, decode, ...; see --help)."
)


def _gui(workspace: str | None) -> int:
    """The desktop app; PySide6 is an optional extra, so say how to get it rather than fail with a traceback."""
    if importlib.util.find_spec("PySide6") is None:
        print(GUI_MISSING, file=sys.stderr)
        return 2
    from harness.gui.app import main as gui_main

    return gui_main(workspace)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return _gui(args.workspace)
        return args.run(args)
    except WorkspaceError as err:
        print(f"saml-harness: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
