"""The control API over real loopback HTTP, against a running harness from the pytest plugin's fixture.

Each endpoint is used for what it is for, then refused without the token, and refused with a
4xx JSON error (never a 5xx) for bad input.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace

import pytest
import requests

from harness.core.certs import KeyPair, make_keypair
from harness.core.control.api import ROUTES
from harness.core.control.client import ControlError
from mock_idp.model import IdPUser

SP = "QualysGuard_SharedPlatformSAML20SP"

EXTERNAL_SP = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://ext.example/sp">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
 Location="ACS" index="0"/>
</md:SPSSODescriptor></md:EntityDescriptor>"""


def _acs_recorder(posted: list[bytes]):
    """An SP's ACS that only records what was posted to it."""

    def app(environ, start_response):
        posted.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"received"]

    return app


def _raw(h, method, path, *, token=True, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {h.control._http.headers['Authorization'].split()[1]}"
    return requests.request(method, h.control.url + path, headers=headers, timeout=30, **kw)


def test_health_and_openapi_need_no_token(saml_harness):
    assert _raw(saml_harness, "GET", "/health", token=False).json() == {"status": "ok"}
    assert _raw(saml_harness, "HEAD", "/health", token=False).status_code == 200
    assert _raw(saml_harness, "OPTIONS", "/health", token=False).status_code == 405  # no CORS preflight, ever
    doc = _raw(saml_harness, "GET", "/openapi.json", token=False).json()
    assert doc["openapi"].startswith("3.")


def test_every_other_endpoint_needs_the_token(saml_harness):
    before = saml_harness.workspace.to_json()
    endpoints = [(p.replace("<username>", "alice"), m) for p, ms in ROUTES.items() for m in ms if p != "/health"]
    assert len(endpoints) >= 15
    for path, method in endpoints:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YTpi"}):
            r = _raw(saml_harness, method, path, token=False, headers=headers, json={"password": "x"})
            assert r.status_code == 401, (path, method, headers)
            assert r.json()["error"] == "unauthorized"
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert saml_harness.workspace.to_json() == before


def test_info_names_both_servers(saml_harness):
    info = saml_harness.control.info()
    assert info["idp"]["metadata_url"] == saml_harness.idp_metadata_url
    assert info["sp"]["subscriptions"][0]["login_url"] == saml_harness.sp_login_url()
    assert "token" not in info["control"]


def test_a_user_added_signs_in_at_the_next_login(saml_harness):
    c = saml_harness.control
    assert c.put_user("zoe", "zoe-pass-1", email="zoe@demo-corp.example", groups=["secops"])["username"] == "zoe"
    assert "zoe" in [u["username"] for u in c.users()]
    # The embedded SP has no account for zoe: the IdP let her in (the SP is who refuses).
    login = saml_harness.login(saml_harness.sp_login_url(), "zoe")
    assert login.page.reason_code == "user-not-found"


def test_a_changed_password_takes_effect_and_the_old_one_fails(saml_harness):
    c = saml_harness.control
    assert c.change_user("alice", password="new-secret")["password"] == "new-secret"
    assert saml_harness.login(saml_harness.sp_login_url(), "alice", "alice123").status == 401
    ok = saml_harness.login(saml_harness.sp_login_url(), "alice", "new-secret")
    assert ok.status == 200 and "/home" in ok.url


def test_attributes_are_changed_and_removed(saml_harness):
    c = saml_harness.control
    c.change_user("bob", extra={"department": "R&D"})
    c.configure_sp(SP, attributes=["uid", "department"])
    login = saml_harness.login(saml_harness.sp_login_url(), "bob")
    sent = next(t for t in c.traces(5) if t["user"] == "" and any(s["message"] for s in t["steps"]))
    xml = "".join(
        s["message"]["xml"] for s in sent["steps"] if s["message"] and s["message"]["param"] == "SAMLResponse"
    )
    assert "R&amp;D" in xml and "mail" not in xml
    assert login.status == 200
    c.change_user("bob", extra={})
    assert saml_harness.workspace.user("bob").extra == {}


def test_a_removed_user_cannot_sign_in(saml_harness):
    saml_harness.control.delete_user("alice")
    assert saml_harness.login(saml_harness.sp_login_url(), "alice", "alice123").status == 401
    with pytest.raises(ControlError) as err:
        saml_harness.control.delete_user("alice")
    assert err.value.status == 404


def test_an_sp_registered_from_metadata_is_served_and_configured(saml_harness):
    posted: list[bytes] = []
    acs = saml_harness.serve(_acs_recorder(posted)) + "/acs"
    c = saml_harness.control
    sp = c.register_sp(EXTERNAL_SP.replace("ACS", acs))
    assert sp["entity_id"] == "https://ext.example/sp" and sp["nameid_format"] == "emailAddress"
    assert c.configure_sp("https://ext.example/sp", sign="response", sig_hash="sha512")["sign"] == "response"
    start = saml_harness.login(saml_harness.idp_start_url("https://ext.example/sp"), "alice")
    assert start.text == "received" and len(posted) == 1  # the IdP posted a Response to that SP's ACS
    trace = c.traces(1)[0]
    response = next(s["message"] for s in trace["steps"] if s["message"] and s["message"]["param"] == "SAMLResponse")
    assert "alice@demo-corp.example" in response["xml"] and "rsa-sha512" in response["xml"]
    c.delete_sp("https://ext.example/sp")
    assert saml_harness.login(saml_harness.idp_start_url("https://ext.example/sp"), "alice").status == 400


def test_an_armed_scenario_replaces_the_next_responses_only(saml_harness):
    c = saml_harness.control
    names = [s["name"] for s in c.scenarios()]
    assert "signature-removed-all" in names and "legitimate" not in names
    assert c.arm(SP, "signature-removed-all", count=2)["remaining"] == 2
    for _ in range(2):
        assert saml_harness.login(saml_harness.sp_login_url(), "alice").page.reason_code == "signature-missing"
    assert c.request("GET", "/attacks")["armed"] == []
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").status == 200
    c.arm(SP, "signature-removed-all")
    assert c.disarm() == []


def test_settings_for_the_next_responses_only(saml_harness):
    c = saml_harness.control
    saved = saml_harness.workspace.to_json()
    assert c.configure_sp(SP, count=1, sign="none")["remaining"] == 1
    assert c.request("GET", "/attacks")["overrides"][0]["settings"] == {"sign": "none"}
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").page.reason_code == "signature-missing"
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").status == 200  # the saved settings again
    assert c.request("GET", "/attacks")["overrides"] == [] and saml_harness.workspace.to_json() == saved
    c.configure_sp(SP, count=5, nameid_format="emailAddress")
    assert c.disarm() == [] and c.request("GET", "/attacks")["overrides"] == []


def test_traces_are_json_newest_first(saml_harness):
    saml_harness.login(saml_harness.sp_login_url(), "alice")
    saml_harness.login(saml_harness.sp_login_url(), "erin")
    traces = saml_harness.control.traces(2)
    assert [t["outcome"] for t in traces] == ["refused", "session"]
    assert traces[1]["login"] == "alice"
    json.dumps(traces)


BAD_INPUT = [
    ("PUT", "/users/x", {"password": 1}, 400, "invalid-field"),
    ("PUT", "/users/x", {"email": "x@y"}, 400, "invalid-field"),
    ("PUT", "/users/x", {"password": "p", "username": "y"}, 400, "invalid-input"),
    ("PUT", "/users/x", {"password": "p", "role": "admin"}, 400, "unknown-field"),
    ("PUT", "/users/x", {"password": "p", "totp_secret": "not base32!"}, 400, "invalid-field"),
    ("PUT", "/users/x", [1, 2], 400, "invalid-input"),
    ("PATCH", "/users/nobody", {"email": "a"}, 404, "not-found"),
    ("PATCH", "/users/alice", {"username": "bob"}, 409, "conflict"),
    ("PATCH", "/users/alice", {"groups": [1]}, 400, "invalid-field"),
    ("POST", "/sps", {"metadata": "<not-xml"}, 400, "bad-metadata"),
    ("POST", "/sps", {"metadata_url": "/etc/passwd"}, 400, "invalid-input"),
    ("POST", "/sps", {}, 400, "invalid-input"),
    ("PATCH", "/sps", {"entity_id": SP, "sign": "sometimes"}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "nameid_format": "x"}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "sig_hash": "md5"}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "signing_key": "missing"}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "lifetime": 0}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "clock_offset": 10**15}, 400, "invalid-settings"),
    ("PATCH", "/sps", {"entity_id": SP, "lifetime": 10**15}, 400, "invalid-settings"),
    ("PATCH", "/sps", {"entity_id": "nope", "sign": "both"}, 404, "not-found"),
    ("PATCH", "/sps", {"sign": "both"}, 400, "invalid-input"),
    ("PATCH", "/sps", {"entity_id": SP, "sign": "none", "count": 0}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "sign": "sometimes", "count": 1}, 400, "invalid-field"),
    ("PATCH", "/sps", {"entity_id": SP, "signing_key": "idp-old", "count": 1}, 400, "invalid-input"),
    ("PATCH", "/sps", {"entity_id": SP, "lifetime": 10**15, "count": 1}, 400, "invalid-settings"),
    ("DELETE", "/sps", None, 400, "invalid-input"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "nope"}, 400, "unknown-scenario"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "legitimate"}, 400, "unknown-scenario"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "signature-removed-all", "count": 0}, 400, "invalid-field"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "signature-removed-all", "count": True}, 400, "invalid-field"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "signature-removed-all", "victim": "x"}, 400, "invalid-field"),
    ("POST", "/attacks", {"entity_id": "nope", "scenario": "signature-removed-all"}, 404, "not-found"),
    ("POST", "/attacks", {"entity_id": SP, "scenario": "x", "extra": 1}, 400, "unknown-field"),
    ("GET", "/traces?limit=0", None, 400, "invalid-field"),
    ("GET", "/traces?limit=abc", None, 400, "invalid-field"),
    ("POST", "/workspace/changes", {"changes": "x"}, 400, "invalid-input"),
    ("POST", "/workspace/changes", {"changes": [{"op": "drop-table"}]}, 400, "invalid-input"),
    ("GET", "/nothing-here", None, 404, "not-found"),
    ("POST", "/users", {}, 405, "method-not-allowed"),
]


def test_bad_input_is_a_4xx_json_error_and_changes_nothing(saml_harness):
    before = saml_harness.workspace.to_json()
    for method, path, body, status, code in BAD_INPUT:
        r = _raw(saml_harness, method, path, json=body)
        assert (r.status_code, r.json()["error"]) == (status, code), (method, path, body, r.text)
        assert r.json()["message"]
    assert saml_harness.workspace.to_json() == before
    assert saml_harness.control.request("GET", "/attacks") == {"armed": [], "overrides": []}


def _last_response_xml(c) -> str:
    trace = c.traces(1)[0]
    return next(s["message"]["xml"] for s in trace["steps"] if s["message"] and s["message"]["param"] == "SAMLResponse")


def test_encryption_is_picked_per_sp_saved_or_for_the_next_responses(saml_harness):
    c = saml_harness.control
    c.configure_sp(SP, count=1, encrypt_assertion=True)  # the demo SP publishes an encryption key
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").status == 200
    assert "EncryptedAssertion" in _last_response_xml(c)
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").status == 200
    assert "EncryptedAssertion" not in _last_response_xml(c)  # one Response only
    assert c.configure_sp(SP, encrypt_name_id=True, encryption_data_alg="aes128-cbc")["encrypt_name_id"] is True
    assert saml_harness.login(saml_harness.sp_login_url(), "bob").status == 200
    assert "EncryptedID" in _last_response_xml(c)
    for bad_settings in ({"encryption_data_alg": "rot13"}, {"encryption_key": "no-such-key"}):
        r = _raw(saml_harness, "PATCH", "/sps", json={"entity_id": SP, **bad_settings})
        assert (r.status_code, r.json()["error"]) == (400, "invalid-settings"), r.text
    r = _raw(saml_harness, "PATCH", "/sps", json={"entity_id": SP, "encryption_key": "idp-old", "count": 1})
    assert (r.status_code, r.json()["error"]) == (400, "invalid-input")  # key material is saved, never temporary
    assert saml_harness.workspace.idp_for_sps()[0].encryption_data_alg == "aes128-cbc"


def test_bodies_must_be_json_and_bounded(saml_harness):
    r = _raw(
        saml_harness,
        "PUT",
        "/users/x",
        data="password=p",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (r.status_code, r.json()["error"]) == (415, "unsupported-media-type")
    r = _raw(saml_harness, "PUT", "/users/x", data=b"{not json", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, "malformed-json")
    r = _raw(
        saml_harness, "PUT", "/users/x", data=b"{" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_a_refused_change_saves_nothing(saml_harness):
    before = saml_harness.workspace.to_json()
    r = _raw(saml_harness, "PATCH", "/sps", json={"entity_id": SP, "sign": "none", "sig_hash": "md5"})
    assert r.status_code == 400
    assert saml_harness.workspace.to_json() == before


def test_with_the_idp_process_gone_changes_stay_saved_and_the_api_says_so(tmp_path):
    """A 503 naming what is down (not a 400 blaming the request, no traceback); /health fails."""
    from harness.testing import RunningHarness

    with RunningHarness.start(tmp_path / "ws", idp_process=True) as h:
        proc = h.servers._idp_child._proc
        proc.kill()
        proc.wait(timeout=30)
        r = _raw(h, "PUT", "/users/zed", json={"password": "zed-pass-1"})
        assert r.status_code == 503 and r.json()["error"] == "idp-process-gone", r.text
        assert h.workspace.user("zed") is not None  # saved before the servers were told
        for _ in range(400):  # the pump notices within one poll; this only catches a hang
            health = _raw(h, "GET", "/health", token=False)
            if health.status_code == 503:
                break
            time.sleep(0.05)
        assert health.json()["status"] == "failing" and "ended unexpectedly" in health.json()["reason"]


def _sp_cert_given_to_the_idp(h) -> None:
    """The IdP's entry for the embedded SP names the SP's certificate itself (as one registered from
    metadata does): the IdP's configuration then no longer reads the SP's key pair."""
    ws = h.workspace
    entry = next(s for s in ws.idp_for_sps() if s.entity_id == SP)
    ws.save_idp_for_sp(replace(entry, sp_certificate=ws.keypair("sp-signing").cert_pem.decode()))
    h.servers.reload()


def _mismatched_pair() -> dict:
    """A key pair whose two halves parse but do not belong together: the workspace cannot load it."""
    a, b = make_keypair("half a"), make_keypair("half b")
    return {"op": "keypair", "name": "sp-signing", "key_pem": a.key_pem.decode(), "cert_pem": b.cert_pem.decode()}


def test_a_change_the_sp_cannot_use_is_kept_from_the_idp_too(saml_harness):
    """409 reload-failed: the SP keeps its configuration, and so does the IdP (in its own process too),
    so the two never serve different workspaces."""
    _sp_cert_given_to_the_idp(saml_harness)
    sp_config = saml_harness.servers.sp_app.config
    zed = {"op": "put", "kind": "idp_user", "key": "zed", "data": {"username": "zed", "password": "zed-pass-1"}}
    with pytest.raises(ControlError) as err:
        saml_harness.control.apply_changes([zed, _mismatched_pair()])
    assert (err.value.status, err.value.code) == (409, "reload-failed"), err.value
    assert saml_harness.workspace.user("zed") is not None  # saved, as the 409 says
    assert saml_harness.servers.sp_app.config is sp_config
    assert saml_harness.login(saml_harness.sp_login_url(), "zed", "zed-pass-1").status == 401  # the IdP's old users
    ok = saml_harness.login(saml_harness.sp_login_url(), "alice")
    assert ok.status == 200 and "/home" in ok.url


def test_an_external_change_the_sp_cannot_use_is_kept_from_the_idp_too(saml_harness):
    """The same change written beside the servers (a script): both keep the old configuration."""
    _sp_cert_given_to_the_idp(saml_harness)
    ws = saml_harness.workspace
    ws.save_user(IdPUser(username="zed", password="zed-pass-1"))
    good, bad = ws.keypair("sp-signing"), _mismatched_pair()
    ws.save_keypair("sp-signing", KeyPair(key_pem=bad["key_pem"].encode(), cert_pem=bad["cert_pem"].encode()))
    # the IdP is asked first: its process notices the change before any SP request
    b = saml_harness.browser("zed", "zed-pass-1")
    page = b.get(saml_harness.idp_start_url())
    assert page.status == 401, page.url
    ok = saml_harness.login(saml_harness.sp_login_url(), "alice")
    assert ok.status == 200 and "/home" in ok.url
    assert saml_harness.login(saml_harness.sp_login_url(), "zed", "zed-pass-1").status == 401
    ws.save_keypair("sp-signing", good)  # usable again: both take the whole change
    page = saml_harness.browser("zed", "zed-pass-1").get(saml_harness.idp_start_url())
    assert page.headers.get("X-SAML-Reason") == "user-not-found", page.url  # the IdP let zed in


def test_a_change_the_idp_cannot_use_is_kept_from_the_sp_too(saml_harness):
    ws = saml_harness.workspace
    skew = saml_harness.servers.sp_app.config.clock_skew
    profile = {"op": "put", "kind": "profile", "key": "sp", "data": {**asdict(ws.sp_profile()), "clock_skew": skew + 7}}
    with pytest.raises(ControlError) as err:
        saml_harness.control.apply_changes([profile, {**_mismatched_pair(), "name": "idp-signing"}])
    assert (err.value.status, err.value.code) == (409, "reload-failed"), err.value
    assert ws.sp_profile().clock_skew == skew + 7  # saved
    assert saml_harness.servers.sp_app.config.clock_skew == skew
    ok = saml_harness.login(saml_harness.sp_login_url(), "alice")
    assert ok.status == 200 and "/home" in ok.url
