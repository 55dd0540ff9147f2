"""The built wheel, installed into a fresh venv without Qt, runs `serve`, `flow` and the pytest plugin's entry point.

Offline-friendly: the wheel is built with `pip wheel --no-deps` (setuptools comes from pip's
cache or PyPI) and installed with `--no-deps`; its dependencies are the shared venv's, linked in
one by one through a .pth, leaving out our own sources, the editable install and PySide6, so
what runs is the wheel's copy and the desktop app's optional extra is really absent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.core.browser import Credentials, ScriptedBrowser

ROOT = Path(__file__).resolve().parents[2]
HANG = 300  # seconds: only a hang (or a very slow PyPI) takes this long
LEAVE_OUT = ("harness", "sp", "mock_idp", "samlkit", "saml_harness", "__editable__", "pyside6", "shiboken6")
LEAVE_OUT += ("pip", "_distutils_hack", "pytestqt", "pytest_qt")

pytestmark = pytest.mark.slow


def _run(*cmd: str | Path, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=HANG, **kw)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def _link_dependencies(venv: Path, deps: Path) -> None:
    """The shared venv's packages (not ours, not Qt) become importable in the fresh venv."""
    shared = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()))
    deps.mkdir()
    for entry in shared.iterdir():
        if entry.suffix == ".pth" or entry.name.lower().startswith(LEAVE_OUT):
            continue
        (deps / entry.name).symlink_to(entry)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "shared-deps.pth").write_text(f"{deps}\n")


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "build", "tests", "docs", "benchmarks", "*.egg-info", "__pycache__"
    )
    shutil.copytree(ROOT, src, symlinks=True, ignore=ignore)
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check", "-w", tmp / "dist", src
    )
    wheel = next((tmp / "dist").glob("saml_harness-*.whl"))
    venv = tmp / "venv"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(sys.executable, "-m", "venv", venv, env=clean)
    pip = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "-q",
        "--disable-pip-version-check",
    ]
    _run(*pip, wheel, env=clean)
    _link_dependencies(venv, tmp / "deps")
    return venv


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | {"SAML_HARNESS_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)}


def test_the_installed_wheel_is_what_runs_and_qt_is_absent(venv, tmp_path):
    py = venv / "bin" / "python"
    code = (
        "import harness, importlib.util, importlib.metadata as m; print(harness.__file__); "
        "print(importlib.util.find_spec('PySide6')); "
        "print([e.value for e in m.entry_points(group='pytest11') if e.name == 'saml_harness'])"
    )
    where, qt, plugin = _run(py, "-c", code, env=_env(tmp_path), cwd=tmp_path).stdout.splitlines()
    assert where.startswith(str(venv)) and qt == "None" and plugin == "['harness.pytest_plugin']"
    gui = subprocess.run(
        [venv / "bin" / "saml-harness"], env=_env(tmp_path), capture_output=True, text=True, timeout=HANG
    )
    assert gui.returncode == 2 and "pip install 'saml-harness[gui]'" in gui.stderr and "Traceback" not in gui.stderr


def test_flow_runs_from_the_wheel(venv, tmp_path):
    r = _run(venv / "bin" / "saml-harness", "flow", "sp", "--user", "alice", "--json", env=_env(tmp_path), cwd=tmp_path)
    assert json.loads(r.stdout)["whoami"]["login"] == "alice"


def test_serve_from_the_wheel_gets_a_login_through(venv, tmp_path):
    cmd = [venv / "bin" / "saml-harness", "--workspace", tmp_path / "ws", "serve"]
    cmd += ["--sp-port", "0", "--idp-port", "0", "--json"]
    proc = subprocess.Popen(
        cmd, env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        info = json.loads(line)
        browser = ScriptedBrowser(Credentials("bob", "bob123"))
        page = browser.get(info["sp"]["subscriptions"][0]["login_url"])
        assert page.status == 200
        assert json.loads(browser.get(info["sp"]["url"] + "/whoami").text)["login"] == "demo_bb"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG) == 0
        proc.stdout.close()
        proc.stderr.close()
