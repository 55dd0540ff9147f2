"""The project as it stood when a target was set, run beside today's in the same benchmark run.

Issue 15 asks for "logins/s at 8 browsers at least 2x today's 107 in the same run": "today" is the
stack on the day it was filed, commit `ISSUE_15_FILED` (Werkzeug's development server, the
scripted browser over `requests`, the apps as they were). That commit's files are taken from git
(`git archive`, nothing checked out over the work tree) into a temporary folder; its own servers
run there in a child process, and its own bench 4 load child drives them with its own browser.
Both use this venv's packages, as they did then.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ISSUE_15_FILED = "8687f1d"  # main when issue 15 measured "107 logins/s"
ROOT = Path(__file__).resolve().parent.parent

_SERVE = """
import sys, tempfile
from pathlib import Path
from harness.core.servers import Servers
from harness.core.workspace import Workspace
with tempfile.TemporaryDirectory(prefix="as-filed-") as tmp:
    s = Servers(Workspace.demo(Path(tmp) / "w"), sp_port=0, idp_port=0).start()
    print(s.login_url("4711"), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    s.stop()
"""


class AsFiled:
    """`with AsFiled() as old:` serves the demo workspace with the old code; `old.load(n, s)`."""

    def __init__(self, commit: str = ISSUE_15_FILED) -> None:
        self.commit = commit
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.url = ""

    @staticmethod
    def available(commit: str = ISSUE_15_FILED) -> bool:
        """False in a copy without git history (a tarball, a shallow clone)."""
        try:
            subprocess.run(
                ["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return True

    def _env(self) -> dict[str, str]:
        import os

        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.dir)  # its packages win over the editable install of today's
        return env

    def __enter__(self) -> AsFiled:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", self.commit],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        self.dir = Path(tempfile.mkdtemp(prefix="as-filed-src-"))
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(self.dir, filter="data")
        self.proc = subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", _SERVE],
            cwd=self.dir,
            env=self._env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the stack at {self.commit} did not start")
        return self

    def load(self, browsers: int, seconds: float) -> dict:
        """Its own bench 4 load child, its own browser: {"logins", "seconds", "errors"}."""
        assert self.dir is not None
        child = subprocess.run(
            [sys.executable, "-W", "ignore", "benchmarks/bench_4_login_loopback.py", "--load", self.url]
            + [str(browsers), str(seconds)],
            cwd=self.dir,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if child.returncode != 0:
            raise RuntimeError(child.stderr[-2000:])
        return json.loads(child.stdout.strip().splitlines()[-1])

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            try:
                self.proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
            self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
