"""7. App cold start: a new process to the main window shown with both servers listening.

Ours: a fresh `python` process (QT_QPA_PLATFORM=offscreen) that imports `harness.gui.app` and
runs its `main(workspace_dir)` on a copy of the demo workspace, exactly as `saml-harness`
does; a timer in the Qt event loop notes when the main window is visible and when both
servers accept a TCP connection, then quits. Timed from before the process is spawned.
Peak memory is the child's VmHWM (peak resident set) at that moment.

Baselines, each a fresh process too: `python -c pass`, and `python -c "import PySide6.QtWidgets"`
(the floor of any PySide6 app). The ratio line compares with the PySide6 import.

If `harness.gui.app.main` cannot run (the GUI is being changed), the script says so and measures
a stand-in instead: both servers started, a QApplication and an empty QMainWindow shown.

Target: under 1.5 s.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

RUNS = 5


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(workspace: str, t0: float) -> None:
    """Run the app's main() and report when the window is up and both servers listen."""
    marks: dict[str, float] = {"interpreter": time.time() - t0}
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import harness.gui.app as gui_app

    marks["imports"] = time.time() - t0
    app = QApplication(["saml-harness"])
    out: dict = {}

    def listening(base: str) -> bool:
        host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=0.5):
                return True
        except OSError:
            return False

    def poll() -> None:
        windows = [w for w in app.topLevelWidgets() if w.objectName() == "MainWindow" and w.isVisible()]
        if windows and "window" not in marks:
            marks["window"] = time.time() - t0
        servers = windows[0].controller.servers if windows else None
        if servers is not None and listening(servers.sp_base) and listening(servers.idp_base):
            marks["servers"] = time.time() - t0
            out.update(marks=marks, peak_mb=vm_hwm_mb(), sp=servers.sp_base, idp=servers.idp_base)
            app.quit()
            return
        if time.time() - t0 > 30:
            out.update(marks=marks, error="the window or the servers did not come up in 30 s")
            app.quit()
            return
        QTimer.singleShot(2, poll)

    QTimer.singleShot(0, poll)
    gui_app.main(workspace)
    print("RESULT " + json.dumps(out), flush=True)


def standin(workspace: str, t0: float) -> None:
    """When harness.gui cannot run: both servers + a QApplication + an empty QMainWindow."""
    marks: dict[str, float] = {"interpreter": time.time() - t0}
    from PySide6.QtWidgets import QApplication, QMainWindow

    from harness.core.servers import Servers
    from harness.core.workspace import Workspace

    marks["imports"] = time.time() - t0
    app = QApplication(["saml-harness"])
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    marks["window"] = time.time() - t0
    servers = Servers(Workspace(workspace), sp_port=0, idp_port=0).start()
    marks["servers"] = time.time() - t0
    out = dict(marks=marks, peak_mb=vm_hwm_mb(), sp=servers.sp_base, idp=servers.idp_base)
    servers.stop()
    print("RESULT " + json.dumps(out), flush=True)


class ChildFailed(RuntimeError):
    pass


def spawn(args: list[str], env: dict) -> tuple[float, str]:
    t0 = time.time()
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0:
        raise ChildFailed(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}")
    return time.time() - t0, r.stdout


def main() -> None:
    import common as c

    from harness.core.workspace import Workspace

    home = Path(tempfile.mkdtemp(prefix="bench7-"))
    ws_dir = home / "ws"
    Workspace.demo(ws_dir).close()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAML_HARNESS_HOME=str(home / "home"))
    hwm = "import re;print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])/1024)"
    results: dict[str, list[float]] = {"pass": [], "pyside": [], "app": []}
    peaks: dict[str, list[float]] = {"pass": [], "pyside": [], "app": []}
    marks: list[dict] = []
    mode, why = "--child", ""
    try:
        spawn([__file__, "--child", str(ws_dir), repr(time.time())], env)
    except ChildFailed as err:  # a colleague's GUI may be mid-change: measure the stand-in, and say so
        mode, why = "--standin", str(err)
        print(
            f"NOTE: harness.gui.app.main could not run ({why}); measuring the stand-in instead: both servers + "
            "QApplication + an empty QMainWindow"
        )
    for _ in range(RUNS):  # interleaved, so a neighbour's load falls on all three alike
        dt, out = spawn(["-c", hwm], env)
        results["pass"].append(dt)
        peaks["pass"].append(float(out.split()[-1]))
        dt, out = spawn(["-c", "import PySide6.QtWidgets;" + hwm], env)
        results["pyside"].append(dt)
        peaks["pyside"].append(float(out.split()[-1]))
        dt, out = spawn([__file__, mode, str(ws_dir), repr(time.time())], env)
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        res = json.loads(line[len("RESULT ") :])
        if "error" in res:
            raise RuntimeError(res["error"])
        results["app"].append(res["marks"]["servers"])
        peaks["app"].append(res["peak_mb"])
        marks.append(res["marks"])

    def mark(name: str) -> list[float]:
        return [m[name] for m in marks]

    med_peak = {k: sorted(v)[len(v) // 2] for k, v in peaks.items()}
    rows = [
        c.row("python -c pass", results["pass"], f"peak {med_peak['pass']:.0f} MB"),
        c.row("python -c 'import PySide6.QtWidgets'", results["pyside"], f"baseline, peak {med_peak['pyside']:.0f} MB"),
        c.row("ours: interpreter up (child's first line)", mark("interpreter")),
        c.row("ours: PySide6 + harness.gui.app imported", mark("imports")),
        c.row("ours: main window visible", mark("window")),
        c.row("ours: window + SP and IdP listening", results["app"], f"peak {med_peak['app']:.0f} MB (VmHWM)"),
    ]
    if mode == "--standin":
        rows = [[r[0].replace("ours:", "stand-in:"), *r[1:]] for r in rows]
    c.print_table("7. App cold start (QT_QPA_PLATFORM=offscreen, demo workspace)", c.TIME_HEADERS, rows)
    med = c.median_ms(results["app"]) / 1000
    base = c.median_ms(results["pyside"]) / 1000
    what = "cold_start" if mode == "--child" else "cold_start (STAND-IN: servers + empty QMainWindow, GUI not runnable)"
    c.ratio_line(
        what,
        f"{med / base:.1f}x the bare PySide6 import ({med:.2f} s vs {base:.2f} s; target < 1.5 s; "
        f"peak {med_peak['app']:.0f} MB vs {med_peak['pyside']:.0f} MB)",
        med < 1.5,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--standin":
        standin(sys.argv[2], float(sys.argv[3]))
    else:
        main()
