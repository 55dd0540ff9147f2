"""The attack battery: the embedded SP refuses every scenario with its code; a naive SP is caught out.

The embedded run is the real thing (demo workspace, both servers on loopback, a real
AuthnRequest per scenario). The naive SP is a few lines of WSGI written to be wrong: it
verifies the first signature it finds (if any) and reads the NameID of the first Assertion,
checking nothing else, and lets exceptions become 500s.
"""

from __future__ import annotations

import base64
import json
import socketserver
import threading
from collections.abc import Iterator

import pytest
import requests
import xmlsec
from lxml import etree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from harness.core import battery
from harness.core.battery import (
    Battery,
    Canary,
    Context,
    Report,
    Target,
    is_offsite,
    read_sp_metadata,
    run_embedded,
)
from harness.core.cli import main as cli_main
from harness.core.servers import Servers
from harness.core.workspace import Workspace
from mock_idp.model import IdPUser, SPSettings
from mock_idp.scenarios import BASELINE, CATALOGUE, by_name
from mock_idp.scenarios.base import HARM_SESSION
from samlkit import ns


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.demo(tmp_path_factory.mktemp("battery") / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def report(workspace: Workspace) -> Report:
    return run_embedded(workspace)


# -- the embedded SP ------------------------------------------------------------------------------


def test_catalogue_covers_every_family_and_documents_each_scenario() -> None:
    families = {s.family for s in CATALOGUE}
    assert families >= {
        "signature-removal",
        "tampering",
        "foreign-key",
        "wrapping",
        "injection",
        "xml",
        "references",
        "timing",
        "addressing",
        "binding",
        "algorithms",
        "status",
        "malformed",
        "relay",
        "encryption",
    }
    assert {f"xsw{i}" for i in range(1, 9)} <= {s.name for s in CATALOGUE}
    for s in CATALOGUE:
        assert s.rule and s.build.__doc__ and s.expect, s.name
        assert not s.legitimate


def test_baseline_opens_a_session(report: Report) -> None:
    r = report.result(BASELINE.name)
    assert r is not None and r.verdict == battery.BASELINE_OK, (r.observed, r.note)
    assert r.observed.session and r.observed.login == "alice"


@pytest.mark.parametrize("scenario", CATALOGUE, ids=lambda s: s.name)
def test_embedded_sp_refuses(report: Report, scenario) -> None:
    r = report.result(scenario.name)
    assert r is not None
    o = r.observed
    assert r.verdict == battery.REFUSED, (r.verdict, o, r.note)
    assert 400 <= o.status < 500
    assert o.reason in scenario.expect, f"{scenario.name}: refused with {o.reason}, expected {sorted(scenario.expect)}"
    assert not o.session and o.login is None
    assert not o.fetched


def test_report_is_json(report: Report) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and report.exit_code == 0
    assert len(data["results"]) == len(CATALOGUE) + 1
    assert report.seconds > 0  # measured and reported; the work is bounded by the catalogue above
    assert "xml" not in data["results"][1]
    assert json.loads(json.dumps(report.to_dict(xml=True)))["legitimate_xml"].startswith("<?xml")


def test_cli_runs_a_selection_and_lists(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--workspace", str(workspace.path), "battery", "--only", "xsw3", "--only", "relay", "--json"]
    assert cli_main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["scenario"] for r in data["results"]][:2] == ["legitimate", "xsw3"]
    assert {r["verdict"] for r in data["results"]} == {"accepted", "refused"}
    assert cli_main(["--workspace", str(workspace.path), "battery", "--only", "timing"]) == 0
    out = capsys.readouterr().out
    assert "not-yet-valid" in out and "RESULT: every scenario was handled safely" in out
    assert cli_main(["battery", "--list"]) == 0
    assert "xsw8" in capsys.readouterr().out
    assert cli_main(["--workspace", str(workspace.path), "battery", "--only", "no-such-thing"]) == 2


def test_cli_against_any_sp_given_its_login_url(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """The embedded SP attacked from outside: EntityID and ACS read from its AuthnRequest, sessions from a URL."""
    with Servers(workspace, sp_port=0, idp_port=0) as s:
        login = s.login_url("4711")
        args = ["--workspace", str(workspace.path), "battery", "--login-url", login, "--session-url"]
        args += [s.sp_base + "/whoami", "--only", "wrapping", "--only", "binding", "--json"]
        rc = cli_main(args)
        meta = requests.get(s.sp_base + "/metadata?idm_key=4711", timeout=10).content
        assert read_sp_metadata(meta) == (s.sp_app.config.entity_id, s.sp_app.config.acs_url)
    data = json.loads(capsys.readouterr().out)
    assert rc == 0, data["counts"]
    assert data["target"]["entity_id"] == "QualysGuard_SharedPlatformSAML20SP"
    verdicts = {r["scenario"]: r["verdict"] for r in data["results"]}
    assert verdicts.pop("legitimate") == "accepted"
    assert verdicts.pop("unsolicited-not-allowed") == "skipped"  # unknown policy: not guessed
    assert set(verdicts.values()) <= {"refused", "skipped"} and "refused" in verdicts.values()


def test_offsite_detection() -> None:
    base = "https://sp.example/IdM/saml2/"
    for loc in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "javascript:x"):
        assert is_offsite(loc, base), loc
    for loc in ("/home", "home", "https://sp.example/home", ""):
        assert not is_offsite(loc, base), loc


# -- a naive SP ------------------------------------------------------------------------------------


def outside_context(keys, target: Target) -> Context:
    """An attacker with the test IdP's key (which the SP under test trusts) and a foreign key."""
    return Context(
        idp_entity_id="https://idp.test/saml",
        idp_key_pem=keys.idp.key_pem,
        idp_cert_pem=keys.idp.cert_pem,
        sp=SPSettings(entity_id=target.entity_id, acs_url=target.acs_url),
        user=IdPUser("mallory", "pw"),
        victim=IdPUser("admin", "pw"),
        foreign_key_pem=keys.foreign.key_pem,
        foreign_cert_pem=keys.foreign.cert_pem,
    )


def naive_sp(cert_pem: bytes):
    """Verifies the first ds:Signature in document order (if any), trusts the first Assertion's NameID."""

    def handle(request: Request) -> Response:
        if request.path == "/whoami":
            who = request.cookies.get("naive")
            return Response(json.dumps({"authenticated": bool(who), "login": who}), status=200 if who else 401)
        root = etree.fromstring(base64.b64decode(request.form["SAMLResponse"]))  # errors become 500s
        sig = next(root.iter(ns.q(ns.DS, "Signature")), None)
        if sig is not None:
            ctx = xmlsec.SignatureContext()
            ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
            for el in root.iter(etree.Element):
                if el.get("ID"):
                    ctx.register_id(el, "ID")
            try:
                ctx.verify(sig)
            except xmlsec.Error:
                return Response("bad signature", status=403)
        assertion = next(root.iter(ns.q(ns.SAML, "Assertion")))
        who = assertion.find(f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}").text
        resp = Response(status=303, headers={"Location": request.form.get("RelayState") or "/"})
        resp.set_cookie("naive", who)
        return resp

    def app(environ, start_response):
        try:
            response = handle(Request(environ))
        except Exception:  # the naive SP "crashes" quietly: a bare 500
            response = Response("Internal Server Error", status=500)
        return response(environ, start_response)

    return app


@pytest.fixture(scope="module")
def naive_report(keys) -> Iterator[Report]:
    server = make_server("127.0.0.1", 0, naive_sp(keys.idp.cert_pem), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    target = Target(acs_url=base + "/acs", entity_id="https://naive-sp.test", name="naive SP")
    context = outside_context(keys, target)
    names = [
        "signature-removed-all",
        "xsw3",
        "xsw1",
        "wrong-audience",
        "expired",
        "nameid-comment",
        "wrong-in-response-to",
        "replay",
        "relay-absolute-url",
        "tampered-nameid",
        "foreign-key-keyinfo",
        "truncated-xml",
        "unsolicited-not-allowed",
    ]
    try:
        with Canary() as canary:
            yield Battery(target, context, canary=canary).run([by_name(n) for n in names])
    finally:
        server.shutdown()
        server.server_close()


def test_naive_sp_falls_and_the_battery_says_so(naive_report: Report) -> None:
    verdict = {r.scenario: r.verdict for r in naive_report.results}
    assert verdict["legitimate"] == battery.BASELINE_OK
    for name in (
        "signature-removed-all",
        "xsw3",
        "wrong-audience",
        "expired",
        "nameid-comment",
        "wrong-in-response-to",
        "replay",
        "relay-absolute-url",
    ):
        assert verdict[name] == battery.ACCEPTED, (name, naive_report.result(name).observed)
    for name in ("tampered-nameid", "foreign-key-keyinfo"):
        assert verdict[name] == battery.REFUSED, name
    assert verdict["truncated-xml"] == battery.CRASH
    assert verdict["unsolicited-not-allowed"] == battery.SKIPPED  # the battery cannot know the SP's policy
    assert naive_report.exit_code == 1
    assert {r.scenario for r in naive_report.bad} >= {"xsw3", "truncated-xml"}


def test_hanging_up_on_an_oversized_body_is_a_refusal(keys) -> None:
    """Servers often answer 413 and close without reading a huge body: not a crash."""

    class HangUp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(4096)
            self.request.close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), HangUp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        target = Target(acs_url=base + "/acs", entity_id="https://hangup.test")
        context = outside_context(keys, target)
        rep = Battery(target, context).run([by_name("oversized"), by_name("xsw3")], baseline=False)
    finally:
        server.shutdown()
        server.server_close()
    oversized, xsw3 = rep.results
    assert oversized.verdict == battery.REFUSED and oversized.observed.closed, oversized.observed
    assert xsw3.verdict == battery.CRASH  # a small message hung up on is a crash


def test_a_refused_baseline_makes_the_run_fail(keys) -> None:
    """Against an SP that refuses everything the battery cannot tell: it says so rather than pass."""
    server = make_server("127.0.0.1", 0, lambda e, s: Response("no", status=403)(e, s), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        target = Target(acs_url=base + "/acs", entity_id="https://wall.test")
        context = outside_context(keys, target)
        rep = Battery(target, context).run([by_name("xsw3")])
    finally:
        server.shutdown()
        server.server_close()
    assert [r.verdict for r in rep.results] == [battery.BASELINE_REFUSED, battery.REFUSED]
    assert rep.exit_code == 1
    assert by_name("xsw3").harm == HARM_SESSION
