"""Bad input everywhere (hypothesis): random and mutated messages never crash anything.

- The SP's ACS answers 4xx with a reason code to anything that is not a valid login, and a
  mutated Response never opens a session for anyone but the user the IdP signed for.
- The mock IdP's SSO endpoints (Redirect and POST) never answer 5xx.
- The inspector (`harness.core.inspect_message.inspect`) never raises.
- `Workspace.load_json` raises nothing but `WorkspaceError`, and the workspace on disk still
  opens and reads afterwards; a successful load is complete.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saml_helpers import Browser, World, make_world
from werkzeug.test import Client

from harness.core.inspect_message import inspect
from harness.core.workspace import FIXTURES, Workspace, WorkspaceError
from samlkit import codec

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces that make parsers and validators take unusual paths.
TOKENS = [
    b"<!DOCTYPE r>",
    b'<!ENTITY x SYSTEM "file:///etc/hostname">',
    b"&x;",
    b"<!---->",
    b"<![CDATA[x]]>",
    b"<?pi x?>",
    b"\x00",
    b"\xff\xfe",
    b"</saml:Assertion>",
    b"<saml:Assertion>",
    b' ID="_dup"',
    b"&#0;",
    b"&amp;",
    b"\xc3(",
    b"<" * 50,
    b'xmlns:saml="urn:x"',
]


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few random edits: byte flips, cuts, insertions of tokens, duplications."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        i = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "flip" and out:
            out[i] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del out[i : i + draw(st.integers(1, 64))]
        elif op == "insert":
            out[i:i] = draw(st.sampled_from(TOKENS) | st.binary(max_size=16))
        elif op == "truncate":
            del out[i:]
        else:
            j = draw(st.integers(i, min(len(out), i + 400)))
            out[j:j] = out[i:j]
    return bytes(out)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("fuzz"))
    yield w
    w.close()


def _post_acs(world: World, fields: dict[str, str]) -> tuple[Client, Any]:
    client = Client(world.sp)
    return client, client.post(world.sp_config.acs_path, data=fields)


def _assert_refused(r: Any) -> None:
    assert 400 <= r.status_code < 500, r.status_code
    assert r.headers.get("X-SAML-Reason"), "a refusal names its reason"
    assert b"Traceback" not in r.get_data()


# -- the ACS -------------------------------------------------------------------------------------


@FUZZ
@given(
    value=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
        st.binary(max_size=300).map(lambda b: codec.encode_redirect(b)),
    ),
    relay=st.none() | st.text(max_size=40),
)
def test_acs_refuses_random_values(world: World, value: str, relay: str | None) -> None:
    fields = {"SAMLResponse": value}
    if relay is not None:
        fields["RelayState"] = relay
    client, r = _post_acs(world, fields)
    _assert_refused(r)
    assert client.get("/whoami").status_code == 401


@FUZZ
@given(data=st.data(), sign=st.sampled_from(["assertion", "response", "both"]))
def test_acs_mutated_response_never_logs_in_anyone_else(world: World, data: st.DataObject, sign: str) -> None:
    xml = base64.b64decode(world.forge(user="alice", sign=sign))
    bad = data.draw(mutations(xml))
    client, r = _post_acs(world, {"SAMLResponse": base64.b64encode(bad).decode()})
    assert r.status_code < 500
    who = client.get("/whoami")
    if r.status_code >= 400:
        _assert_refused(r)
        assert who.status_code == 401
    elif who.status_code == 200:
        # A mutation the signatures do not cover (whitespace in KeyInfo, say): still alice, nobody else.
        assert who.get_json()["login"] == "alice"


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "text/xml",
            "application/json",
            "application/x-www-form-urlencoded; charset=utf-16",
        ]
    ),
    method=st.sampled_from(["POST", "GET", "PUT"]),
)
def test_acs_survives_raw_bodies(world: World, body: bytes, content_type: str, method: str) -> None:
    client = Client(world.sp)
    r = client.open(world.sp_config.acs_path, method=method, data=body, headers={"Content-Type": content_type})
    _assert_refused(r)


# -- the IdP's SSO endpoints -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def authn_request_xml(world: World) -> bytes:
    _, r = Browser(world).start()
    value = parse_qs(urlsplit(r.headers["Location"]).query)["SAMLRequest"][0]
    return codec.decode_redirect(value)


@FUZZ
@given(
    value=st.text(max_size=300) | st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
    relay=st.none() | st.text(max_size=40),
    post=st.booleans(),
)
def test_idp_sso_survives_random_requests(world: World, value: str, relay: str | None, post: bool) -> None:
    client = Client(world.idp)
    fields = {"SAMLRequest": value} | ({"RelayState": relay} if relay is not None else {})
    r = client.post("/sso", data=fields) if post else client.get("/sso", query_string=fields)
    assert 400 <= r.status_code < 500 or r.status_code == 200, r.status_code
    assert b"Traceback" not in r.get_data()


@FUZZ
@given(data=st.data(), post=st.booleans())
def test_idp_sso_survives_mutated_authn_requests(
    world: World, authn_request_xml: bytes, data: st.DataObject, post: bool
) -> None:
    bad = data.draw(mutations(authn_request_xml))
    client = Client(world.idp)
    if post:
        r = client.post("/sso", data={"SAMLRequest": base64.b64encode(bad).decode()})
    else:
        deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
        value = base64.b64encode(deflated.compress(bad) + deflated.flush()).decode()
        r = client.get("/sso?SAMLRequest=" + quote(value, safe=""))
    assert r.status_code < 500, r.status_code
    assert b"Traceback" not in r.get_data()


@FUZZ
@given(
    path=st.sampled_from(["/login", "/mfa", "/start", "/logout", "/metadata", "/"]),
    form=st.dictionaries(
        st.sampled_from(["t", "csrf", "username", "password", "code", "sp", "user", "RelayState"]), st.text(max_size=30)
    ),
)
def test_idp_pages_survive_random_forms(world: World, path: str, form: dict[str, str]) -> None:
    client = Client(world.idp)
    for r in (client.post(path, data=form), client.get(path, query_string=form)):
        assert r.status_code < 500, (path, r.status_code)


# -- the inspector ---------------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=500) | st.binary(max_size=500))
def test_inspect_never_raises_on_random_input(text: str | bytes) -> None:
    found = inspect(text)
    assert found and all(m.error or m.xml for m in found)


@FUZZ
@given(data=st.data(), form=st.sampled_from(["xml", "base64", "redirect", "url", "html"]))
def test_inspect_never_raises_on_mutated_messages(world: World, data: st.DataObject, form: str) -> None:
    bad = data.draw(mutations(base64.b64decode(world.forge(user="alice", sign="both"))))
    if form == "xml":
        text: str | bytes = bad
    elif form == "base64":
        text = base64.b64encode(bad).decode()
    elif form == "redirect":
        text = codec.encode_redirect(bad)
    elif form == "url":
        text = "https://sp.test/acs?SAMLResponse=" + quote(codec.encode_redirect(bad), safe="") + "&RelayState=%ZZ"
    else:
        value = base64.b64encode(bad).decode()
        text = f'<html><form action="/acs"><input name="SAMLResponse" value="{value}"></form></html>'
    assert inspect(text, trusted_cert_pem=world.idp_config.cert_pem)


# -- the workspace loader --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIXTURE = json.loads((FIXTURES / "workspace.json").read_text())
SECTIONS = ["idp", "sp", "users", "idp_for_sps", "subscriptions", "rules"]


@st.composite
def workspace_documents(draw: st.DrawFn) -> Any:
    """The demo fixture with a few parts replaced by random JSON, or random JSON outright."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    doc = json.loads(json.dumps(FIXTURE))
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(SECTIONS))
        node = doc.get(section)
        if isinstance(node, list) and node and draw(st.booleans()):
            item = node[draw(st.integers(0, len(node) - 1))]
            if isinstance(item, dict) and item and draw(st.booleans()):
                item[draw(st.sampled_from(sorted(item)))] = draw(JSON)
            else:
                node[draw(st.integers(0, len(node) - 1))] = draw(JSON)
        else:
            doc[section] = draw(JSON)
    return doc


@pytest.fixture(scope="module")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws-template") / "ws"
    Workspace.demo(path).close()
    return path


def _read(path: Path) -> dict:
    """The workspace's content, read by a fresh reader (it must still open)."""
    ws = Workspace(path, read_only=True)
    try:
        return ws.to_json()
    finally:
        ws.close()


def _servable(path: Path) -> None:
    """Both server configurations build, or a clear WorkspaceError says why not (a missing key, say)."""
    ws = Workspace(path, read_only=True)
    try:
        ws.idp_config("http://idp.test", "http://sp.test")
        ws.sp_config("http://sp.test", "http://idp.test")
    except WorkspaceError:
        pass
    finally:
        ws.close()


def _fresh_copy(template: Path, factory: pytest.TempPathFactory) -> Path:
    path = factory.mktemp("ws") / "ws"
    shutil.copytree(template, path)
    return path


def _load(path: Path, doc: Any) -> bool:
    """True if load_json took `doc`, False if it refused it in words (nothing else may escape)."""
    ws = Workspace(path)
    try:
        ws.load_json(doc)
        return True
    except WorkspaceError:
        return False
    finally:
        ws.close()


@FUZZ
@given(doc=workspace_documents())
def test_load_json_is_all_or_nothing_and_never_corrupts(
    template_workspace: Path, tmp_path_factory: pytest.TempPathFactory, doc: Any
) -> None:
    """A clear error and the workspace unchanged, or the whole document applied; it opens and serves either way."""
    path = _fresh_copy(template_workspace, tmp_path_factory)
    before = _read(path)
    loaded = _load(path, doc)
    after = _read(path)
    if not loaded:
        assert after == before
    else:
        names = {u["username"] for u in after["users"]}
        assert all(u.get("username") in names for u in doc.get("users", []) if isinstance(u, dict))
        keys = {s["idm_key"] for s in after["subscriptions"]}
        assert all(s.get("idm_key") in keys for s in doc.get("subscriptions", []) if isinstance(s, dict))
    _servable(path)
    shutil.rmtree(path.parent, ignore_errors=True)


@pytest.mark.parametrize(
    "doc",
    [
        {"subscriptions": [["a"]]},  # a list where an object belongs
        {"subscriptions": [{"idm_key": "9", "exit_url": None}]},  # None where a URL belongs
        {"idp_for_sps": [{"entity_id": "e", "acs_url": None}]},
        {"idp": dict(FIXTURE["idp"], entity_id="https://changed.example/"), "users": ["not an object"]},
    ],
    ids=["list-for-object", "none-url", "none-acs", "bad-after-good"],
)
def test_load_json_regressions(template_workspace: Path, tmp_path: Path, doc: dict) -> None:
    """Inputs that once let ValueError escape, stored None URLs that broke the servers, or half-applied."""
    path = tmp_path / "ws"
    shutil.copytree(template_workspace, path)
    before = _read(path)
    if not _load(path, doc):
        assert _read(path) == before
    _servable(path)
