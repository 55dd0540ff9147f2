"""`saml-harness` without a subcommand: the desktop app on a workspace (the demo by default)."""

from __future__ import annotations

import logging
import sys
import traceback
import warnings
from pathlib import Path

from harness.core.workspace import Workspace, WorkspaceError, default_workspace_dir
from harness.gui.plain import plain_message_box

log = logging.getLogger("harness.gui")


def _log_file() -> Path:
    return default_workspace_dir().parent / "harness.log"


def _setup_logging() -> None:
    try:
        path = _log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(workspace_dir: str | None = None) -> int:
    """Open the main window; returns the exit status."""
    warnings.filterwarnings("ignore", message=".*CFB.*")
    from PySide6.QtWidgets import QApplication, QMessageBox

    from harness.gui.views.dialogs import show_message
    from harness.gui.views.main_window import MainWindow

    _setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1] or ["saml-harness"])
    app.setOrganizationName("saml-harness")
    app.setApplicationName("saml-harness")
    app.setApplicationDisplayName("SAML harness")
    path = Path(workspace_dir).expanduser() if workspace_dir else default_workspace_dir()
    try:
        ws = Workspace.open_or_demo(path)
    except (WorkspaceError, OSError) as err:
        text = f"The workspace {path} cannot be opened:\n\n{err}"
        plain_message_box(None, QMessageBox.Icon.Critical, "SAML harness", text).exec()
        return 2
    window = MainWindow(ws)

    def excepthook(kind, value, tb) -> None:
        # A bug must not kill the window or show a traceback: log it, say it in words.
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        show_message(window, "error", f"Something went wrong: {value or kind.__name__}\n\n(details in {_log_file()})")

    sys.excepthook = excepthook
    window.show()
    try:
        return app.exec()
    finally:
        window.controller.shutdown()  # also when the app quits without closing the window
        sys.excepthook = sys.__excepthook__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
