"""`saml-harness`: the desktop app without arguments, headless subcommands otherwise (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import warnings

# pysaml2 imports a cipher mode that `cryptography` deprecates; a user should not see that.
warnings.filterwarnings("ignore", message=".*CFB.*")

from harness.core.commands.common import OutputFileError  # noqa: E402
from harness.core.terminal import VisibleWriter  # noqa: E402
from harness.core.workspace import WorkspaceError  # noqa: E402

# Each module registers its own subcommand; a missing optional one is skipped.
COMMANDS = [
    "serve",
    "flow",
    "decode",
    "certs",
    "rollover",
    "onboard",
    "checklist",
    "battery",
    "provision",
    "encryption",
    "send",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saml-harness",
        description="A test harness for SAML 2.0 single sign-on: a vendor-style SP and a mock IdP on loopback.",
    )
    parser.add_argument("--workspace", metavar="DIR", help="workspace directory (default: the demo workspace)")
    sub = parser.add_subparsers(dest="command")
    for name in COMMANDS:
        importlib.import_module(f"harness.core.commands.{name}").register(sub)
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
    if args.command is None:
        try:
            return _gui(args.workspace)
        except WorkspaceError as err:
            print(f"saml-harness: {err}", file=sys.stderr)
            return 2
    with _visible_output(exact_stdout=bool(getattr(args, "json", False))):
        try:
            code = args.run(args)
            sys.stdout.flush()
            return code
        except WorkspaceError as err:
            print(f"saml-harness: {err}", file=sys.stderr)
            return 2
        except OutputFileError as err:
            print(f"saml-harness: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return _reader_went_away()
        except OSError as err:
            if err.filename is None:
                raise
            # A file the user named (a questionnaire to write, an export directory): say which, and why.
            print(f"saml-harness: {err.filename}: {err.strerror or err}", file=sys.stderr)
            return 2


@contextlib.contextmanager
def _visible_output(*, exact_stdout: bool):
    """Human output goes through `terminal.visible` (control characters from messages made
    visible); `--json` output is written exactly."""
    saved = sys.stdout, sys.stderr
    if not exact_stdout:
        sys.stdout = VisibleWriter(sys.stdout)
    sys.stderr = VisibleWriter(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _reader_went_away() -> int:
    """`saml-harness ... | head`: the reader closed the pipe. End quietly: point stdout at
    /dev/null so the interpreter's final flush has nowhere to fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


if __name__ == "__main__":
    sys.exit(main())
