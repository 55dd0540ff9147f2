#!/usr/bin/env python3
"""Set up and run the harness with nothing but Python: `python3 dev.py run` or `python3 dev.py test`.

It installs the system libraries Qt and the browser tests need (apt-get when root, otherwise it
prints the exact command), creates `.venv`, installs the pinned dependencies, then runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".installed"

# docs/ARCHITECTURE.md, dependencies: Qt's libraries (offscreen and xcb), Chromium for browser tests, libatomic1 for
# Playwright's driver, xmlsec1 only for the stock-pysaml2 baseline in benchmarks.
APT_PACKAGES = [
    "libegl1", "libgl1", "libx11-6", "libdbus-1-3", "libfontconfig1", "libfreetype6", "libglib2.0-0",
    "libxkbcommon0", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0",
    "libxcb-keysyms1", "libxcb-randr0", "libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0",
    "libxcb-xkb1", "libatomic1", "chromium", "xmlsec1", "libnss3-tools",
]


def say(msg: str) -> None:
    print(f"[dev.py] {msg}", flush=True)


def missing_apt() -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for pkg in APT_PACKAGES + (["python3-venv"] if not _has_venv() else []):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def _has_venv() -> bool:
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_system() -> None:
    missing = missing_apt()
    if not missing:
        return
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        say("these system packages are missing: " + " ".join(missing))
        say("install them with:\n    sudo apt-get update && sudo " + " ".join(cmd))
        sys.exit(1)
    say("installing system packages: " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(cmd, check=True, env=env)


def ensure_venv() -> None:
    lock = (ROOT / "requirements.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        say(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("installing pinned dependencies (first run takes a minute)")
    pip = [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, "--no-deps", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "bench", "setup", "screenshots"):
        print(__doc__)
        print("usage: python3 dev.py run | test [--fast] [pytest args] | bench | setup | screenshots")
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py itself may run on an older python3
        say("Python 3.11 or newer is needed")
        return 1
    ensure_system()
    ensure_venv()
    cmd, rest = argv[0], argv[1:]
    env = dict(os.environ)
    if cmd == "setup":
        return 0
    if cmd == "run":
        return subprocess.call([str(VENV / "bin" / "saml-harness"), *rest], env=env)
    if cmd == "test":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        if rest[:1] == ["--fast"]:  # unit tests without servers, browsers or widgets (tests/markers.py)
            sys.path.insert(0, str(ROOT / "tests"))
            from markers import FAST

            rest = ["tests/unit", "-m", FAST, "-q", *rest[1:]]
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)
    if cmd == "screenshots":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return subprocess.call([str(PY), str(ROOT / "scripts" / "screenshots.py"), *rest], cwd=ROOT, env=env)
    if cmd == "bench":
        rc = 0
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            say(f"running {script.name}")
            rc |= subprocess.call([str(PY), str(script), *rest], cwd=ROOT, env=env)
        return rc
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
