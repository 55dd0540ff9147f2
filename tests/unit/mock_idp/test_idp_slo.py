"""mock_idp.slo: the logout runs it keeps, and what /logout and /slo answer without a session."""

from __future__ import annotations

from slo_helpers import slo_world
from werkzeug.test import Client

from mock_idp import slo_run as slo


def test_runs_are_taken_once_and_bounded(monkeypatch) -> None:
    runs = slo.Runs()
    run = slo.LogoutRun("alice", [])
    runs.put("_1", run)
    assert runs.take("_1") is run and runs.take("_1") is None
    monkeypatch.setattr(slo, "MAX_RUNS", 3)
    for i in range(5):
        runs.put(f"_{i}", slo.LogoutRun("u", []))
    assert runs.take("_0") is None and runs.take("_1") is None and runs.take("_4") is not None


def test_logout_without_a_session_says_so(new_world) -> None:
    world = slo_world(new_world)
    r = Client(world.idp).get("/logout")
    assert r.status_code == 200 and "You had no session at the mock IdP." in r.get_data(as_text=True)


def test_the_slo_endpoint_names_its_refusals(new_world) -> None:
    world = slo_world(new_world)
    idp = Client(world.idp)
    r = idp.get("/slo")
    assert r.status_code == 400 and r.headers["X-SAML-Reason"] == "message-missing"
    r = idp.get("/slo", query_string={"SAMLRequest": "%%%"})
    assert r.headers["X-SAML-Reason"] == "malformed-message"
