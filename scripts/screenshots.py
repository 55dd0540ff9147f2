#!/usr/bin/env python3
"""Regenerate the screenshots in docs/ from the real main window, offscreen.

    .venv/bin/python scripts/screenshots.py [--out docs]

A temp copy of the demo workspace, both servers on free ports, the window at 1280x800; each
picture is `widget.grab()` of the whole window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
warnings.filterwarnings("ignore", message=".*CFB.*")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="directory for the PNG files")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from harness.core.workspace import Workspace
    from harness.gui.models.workspace_tree import Target
    from harness.gui.views.main_window import MainWindow

    app = QApplication.instance() or QApplication(["screenshots"])
    tmp = Path(tempfile.mkdtemp(prefix="harness-shots-"))
    ws = Workspace.demo(tmp / "demo")
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(ws, sp_port=0, idp_port=0, settings=settings, open_url=lambda url: None)
    w.show_dialogs = False
    w.resize(1280, 800)
    w.show()

    def wait(cond, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit("timed out waiting for the window")
            app.processEvents()
            time.sleep(0.01)
        for _ in range(5):
            app.processEvents()

    def shot(name: str) -> None:
        for _ in range(5):
            app.processEvents()
        path = out / f"{name}.png"
        if not w.grab().save(str(path)):
            raise SystemExit(f"cannot write {path}")
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    def run(kind: str, user: str) -> None:
        w.flow_bar.set_choice(kind, "4711", user)
        w.run(kind, "4711", user)
        wait(lambda: not w.controller.busy and w.trace_page.entry is not None and not w.trace_page.entry.running)

    try:
        wait(lambda: w.controller.servers is not None)
        run("sp", "alice")
        w.tree.select_target(Target("flow", w.trace_page.entry.run_id))
        shot("main-window")
        w.trace_page.detail.show_tab("XML")
        w.trace_page.detail.xml.search.setText("Audience")
        shot("xml-tab")
        w.trace_page.detail.xml.search.clear()
        w.trace_page.detail.show_tab("Checks")
        shot("checks-tab")

        w.go_to(Target("users", "bob"))
        shot("editor-users")
        w.go_to(Target("subscriptions", "4711", "accounts"))
        w.subs_page.accounts.select(lambda a: a.login == "demo_bb")
        shot("editor-accounts")
        w.go_to(Target("subscriptions", "4711"))
        shot("editor-subscription")
        w.go_to(Target("idp", ws.sp_profile().entity_id))
        shot("editor-idp-settings")
        w.go_to(Target("matrix"))
        w.matrix_page.run_all.click()
        wait(lambda: not w.controller.busy)
        w.matrix_page.table.setCurrentIndex(w.matrix_page.model.index(3, 0))
        shot("matrix")

        w.go_to(Target("inspector"))
        redirect = w.controller.history[0].trace.steps[0].location
        w.inspector_page.set_text(redirect)
        shot("inspector")

        workbench(w, wait, shot)

        w.go_to(Target("battery"))
        w.battery_page.run()
        wait(lambda: not w.controller.busy, timeout=300)
        rows = [r.scenario for r in w.battery_page.model.rows]
        w.battery_page.table.selectRow(rows.index("signature-removed-assertion"))
        w.battery_page.show_tab("Diff")
        shot("battery")

        # break the trust the way a rotated IdP key does, and look at the diagnosis
        w.controller.trust_keypair("4711", "idp-old")
        w.go_to(Target("certs"))
        w.certs_page.select_name("idp-old")
        shot("certificates")
        run("sp", "alice")
        shot("signature-refusal")
    finally:
        w.close()
    return 0


def workbench(w, wait, shot) -> None:
    """Edit and send: alice's Response, NameID changed to bob, signatures kept: refused."""
    steps = w.controller.history[0].trace.steps
    step = next(s for s in steps if s.dst == "sp" and s.message and s.message.param == "SAMLResponse")
    page = w.workbench_page
    page.open_step(step)
    w.show_page("workbench")
    page.pretty_btn.click()
    page.form.edits["nameid"].setText("bob")
    page.form.edits["nameid"].setModified(True)
    page.form.edits["nameid"].editingFinished.emit()
    page.send()
    wait(lambda: not page.sender_.sending)
    shot("workbench")


if __name__ == "__main__":
    sys.exit(main())
