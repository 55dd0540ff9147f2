"""`saml-harness serve` as a process: its JSON line, its control API, changes from a second process
taken into the next login without a restart (sessions, the replay cache and logins in progress
kept), and a clean shutdown on SIGTERM and SIGINT, also when Ctrl-C reaches the mock IdP's own
process (serve runs the IdP in a second process) as well.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.control.client import ControlClient
from harness.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
HANG = 60  # seconds: only a hang takes this long


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-m", "harness.core.cli", *args], env=_env(), capture_output=True, text=True, timeout=HANG
    )
    assert not check or r.returncode == 0, r.stderr
    return r


class Serve:
    """A `saml-harness serve --json` process on free ports."""

    def __init__(self, workspace: Path, ready: Path, *extra: str):
        self.workspace, self.ready = workspace, ready
        cmd = [sys.executable, "-m", "harness.core.cli", "--workspace", str(workspace), "serve"]
        cmd += ["--sp-port", "0", "--idp-port", "0", "--json", "--ready-file", str(ready), *extra]
        self.proc = subprocess.Popen(
            cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        self.info = json.loads(line)
        self.control = ControlClient(self.info["control"]["url"], self.info["control"]["token"])

    @property
    def login_url(self) -> str:
        return self.info["sp"]["subscriptions"][0]["login_url"]

    def stop(self, sig: int = signal.SIGTERM, group: bool = False) -> int:
        """`group`: the signal to every process of serve's group, as Ctrl-C in a terminal sends it."""
        self.control.close()
        if self.proc.poll() is None:
            if group:
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=HANG)
            self.stderr = self.proc.stderr.read()
            return code
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.fixture
def serve(tmp_path):
    Workspace.demo(tmp_path / "ws").close()
    s = Serve(tmp_path / "ws", tmp_path / "ready.json")
    yield s
    if s.proc.poll() is None:
        s.stop()


def _login(url: str, user: str, password: str):
    b = ScriptedBrowser(Credentials(user, password))
    return b, b.get(url)


def test_serve_prints_one_json_line_and_writes_the_ready_file(serve):
    info = serve.info
    assert json.loads(serve.ready.read_text()) == info
    assert info["sp"]["entity_id"] == "QualysGuard_SharedPlatformSAML20SP"
    assert info["idp"]["metadata_url"].endswith("/metadata") and info["idp"]["entity_id"]
    control = json.loads((serve.workspace / "control.json").read_text())
    assert control["token"] == info["control"]["token"] and control["url"] == info["control"]["url"]
    assert (serve.workspace / "control.json").stat().st_mode & 0o777 == 0o600
    assert serve.control.health() == {"status": "ok"}
    second = _cli("--workspace", str(serve.workspace), "serve", "--json", check=False)
    assert second.returncode == 2 and "open in another harness" in second.stderr  # still one writer


def test_changes_from_a_second_process_reach_the_next_login(serve, tmp_path):
    # A login in progress (an AuthnRequest outstanding at the SP, a pending login at the IdP) ...
    pending = ScriptedBrowser()
    form = pending.get(serve.login_url)
    assert 'name="password"' in form.text
    # ... and an open session, whose Response goes into the replay cache.
    session, page = _login(serve.login_url, "bob", "bob123")
    assert page.status == 200
    posted = next(p for p in session.history if "SAMLResponse" in p.text)

    # 1. onboard --external-sp in another process: routed through serve's control API.
    received: list[bytes] = []

    def acs(environ, start_response):
        received.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    ext = make_server("127.0.0.1", 0, acs, threaded=True)
    threading.Thread(target=ext.serve_forever, daemon=True).start()
    try:
        metadata = tmp_path / "ext.xml"
        metadata.write_text(
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://ext.example/sp">'
            '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="http://127.0.0.1:{ext.server_port}/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>'
        )
        start = serve.info["idp"]["url"] + "/start?sp=https%3A%2F%2Fext.example%2Fsp"
        assert _login(start, "alice", "alice123")[1].reason_code == "unknown-sp"
        r = _cli("--workspace", str(serve.workspace), "onboard", "--external-sp", str(metadata))
        assert "changes go through it" in r.stderr and "now serves https://ext.example/sp" in r.stdout
        assert _login(start, "alice", "alice123")[1].text == "ok" and len(received) == 1
    finally:
        ext.shutdown()
        ext.server_close()

    # 2. A direct edit of the workspace by another program: picked up on the next request.
    with sqlite3.connect(serve.workspace / "workspace.sqlite", timeout=HANG) as db:
        row = db.execute("SELECT data FROM doc WHERE kind='idp_user' AND key='alice'").fetchone()
        user = json.loads(row[0]) | {"password": "edited-elsewhere"}
        db.execute("UPDATE doc SET data=? WHERE kind='idp_user' AND key='alice'", (json.dumps(user),))
    db.close()
    assert _login(serve.login_url, "alice", "alice123")[1].status == 401
    assert _login(serve.login_url, "alice", "edited-elsewhere")[1].status == 200

    # 3. The control API: a new password for bob.
    serve.control.change_user("bob", password="via-control")
    assert _login(serve.login_url, "bob", "via-control")[1].status == 200

    # The login in progress finishes: the SP still knows its AuthnRequest, the IdP its pending login.
    pending.credentials = Credentials("alice", "edited-elsewhere")
    done = pending.submit(form)
    assert done.status == 200 and json.loads(pending.get(serve.info["sp"]["url"] + "/whoami").text)["login"] == "alice"

    # 4. certs rotate in another process: the IdP signs with the new key, which the SP does not trust yet.
    _cli("--workspace", str(serve.workspace), "certs", "rotate", "idp-signing")
    assert _login(serve.login_url, "dave", "dave123")[1].reason_code == "signature-invalid"

    # The first session and the replay cache outlived every change.
    assert json.loads(session.get(serve.info["sp"]["url"] + "/whoami").text)["login"] == "demo_bb"
    assert session.post(serve.info["sp"]["acs_url"], _form_fields(posted.text)).reason_code == "replayed"
    assert serve.proc.poll() is None


def _form_fields(html: str) -> dict[str, str]:
    from lxml import html as lxml_html

    form = lxml_html.fromstring(html).forms[0]
    return {i.name: i.value or "" for i in form.inputs if i.name}


def _refused(url: str) -> bool:
    host, port = url.split("//", 1)[1].split(":")
    with socket.socket() as s:
        s.settimeout(HANG)
        return s.connect_ex((host, int(port))) != 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_serve_cleanly(serve, sig):
    assert serve.stop(sig) == 0
    assert "Traceback" not in serve.stderr
    for url in (serve.info["sp"]["url"], serve.info["idp"]["url"], serve.info["control"]["url"]):
        assert _refused(url), url
    assert not (serve.workspace / "control.json").exists() and not serve.ready.exists()
    Workspace(serve.workspace).close()  # the lock is free


def test_ctrl_c_to_the_process_group_stops_serve_and_its_idp_process_cleanly(serve):
    """serve's mock IdP answers from a second process; Ctrl-C reaches both, and only serve stops it."""
    idp_pid = _listener_pid(serve.info["idp"]["url"])
    assert idp_pid not in (None, serve.proc.pid) and _listener_pid(serve.info["sp"]["url"]) == serve.proc.pid
    b, page = _login(serve.login_url, "alice", "alice123")
    assert page.url.endswith("/home")
    assert serve.stop(signal.SIGINT, group=True) == 0
    assert "Traceback" not in serve.stderr, serve.stderr
    for url in (serve.info["sp"]["url"], serve.info["idp"]["url"], serve.info["control"]["url"]):
        assert _refused(url), url
    assert not Path(f"/proc/{idp_pid}").exists() or "Z" in Path(f"/proc/{idp_pid}/stat").read_text().split()[2]


def _listener_pid(url: str) -> int | None:
    """The process that holds the listening socket of `url`'s port (Linux /proc)."""
    port = int(urlsplit(url).port)
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inode = fields[9]
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
        except OSError:
            continue
    return None


def test_serve_stops_with_an_error_when_its_idp_process_dies(serve):
    """Half a harness must not pass for a whole one: serve exits 1 and says why."""
    idp_pid = _listener_pid(serve.info["idp"]["url"])
    os.kill(idp_pid, signal.SIGKILL)
    assert serve.proc.wait(timeout=HANG) == 1
    assert serve.stop() == 1
    assert "the mock IdP's process ended unexpectedly" in serve.stderr and "Traceback" not in serve.stderr
    for url in (serve.info["sp"]["url"], serve.info["control"]["url"]):
        assert _refused(url), url
    assert not (serve.workspace / "control.json").exists() and not serve.ready.exists()


def test_no_idp_process_keeps_both_apps_in_serves_own_process(tmp_path):
    Workspace.demo(tmp_path / "ws").close()
    serve = Serve(tmp_path / "ws", tmp_path / "ready.json", "--no-idp-process")
    try:
        assert _listener_pid(serve.info["idp"]["url"]) == serve.proc.pid
        assert _login(serve.login_url, "alice", "alice123")[1].url.endswith("/home")
    finally:
        assert serve.stop(signal.SIGINT, group=True) == 0
    assert "Traceback" not in serve.stderr
