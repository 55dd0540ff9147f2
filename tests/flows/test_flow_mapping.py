"""Identity mapping through whole logins: login name, External ID, an attribute as the source,
SAML disabled, no account, inactive account, and the account picker (two accounts, one identity)."""

from __future__ import annotations

import pytest
from saml_helpers import World, assert_refused, forms, reason

from sp.model import Account

pytestmark = pytest.mark.usefixtures("no_process_spawned")

BY_EMPLOYEE_NUMBER = {"sub": {"mapping_mode": "external_id"}, "idp_sp": {"nameid_source": "employeeNumber"}}


def test_login_name_in_the_nameid(world: World) -> None:
    b = world.browser()
    assert b.login("dave").status_code == 303
    assert b.whoami()[1]["login"] == "dave"
    mapping = next(c for c in world.verdicts()[-1].checks if c.name == "Mapping")
    assert mapping.detail == "NameID 'dave' matched login of dave"


def test_external_id(new_world) -> None:
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b = w.browser()
    assert b.login("erin").status_code == 303
    assert b.whoami()[1]["login"] == "erin_qa"


def test_external_id_mode_ignores_logins(new_world) -> None:
    w = new_world(sub={"mapping_mode": "external_id"})  # the NameID is the username "alice"
    assert_refused(w.browser().login("alice"), "user-not-found")


def test_attribute_mail_as_the_source(new_world) -> None:
    accounts = [Account("a.smith", external_id="alice@corp.test", saml_enabled=True)]
    w = new_world(sub={"identity_source": "attribute:mail", "mapping_mode": "external_id", "accounts": accounts})
    b = w.browser()
    assert b.login("alice").status_code == 303
    assert b.whoami()[1]["login"] == "a.smith"
    mapping = next(c for c in w.verdicts()[-1].checks if c.name == "Mapping")
    assert "attribute mail" in mapping.detail


def test_attribute_source_login_mode(new_world) -> None:
    accounts = [Account("alice@corp.test", saml_enabled=True)]
    w = new_world(sub={"identity_source": "attribute:mail", "accounts": accounts})
    b = w.browser()
    assert b.login("alice").status_code == 303
    assert b.whoami()[1]["login"] == "alice@corp.test"


def test_attribute_not_released(new_world) -> None:
    w = new_world(sub={"identity_source": "attribute:mail"}, idp_sp={"attributes": ["uid"]})
    assert_refused(w.browser().login("alice"), "identity-missing")


def test_either_mode_prefers_external_id_then_login(new_world) -> None:
    accounts = [
        Account("erin_login", saml_enabled=True),
        Account("by_external", external_id="alice", saml_enabled=True),
        Account("alice", saml_enabled=True),
    ]
    w = new_world(sub={"mapping_mode": "either", "accounts": accounts})
    b = w.browser()
    assert b.login("alice").status_code == 303
    assert b.whoami()[1]["login"] == "by_external"
    w2 = new_world(sub={"mapping_mode": "either", "accounts": accounts[:1] + accounts[2:]})
    b2 = w2.browser()
    assert b2.login("alice").status_code == 303
    assert b2.whoami()[1]["login"] == "alice"


def test_saml_disabled_for_the_user(world: World) -> None:
    r = world.browser().login("bob")
    assert_refused(r, "saml-disabled-for-user")
    assert "Manager must enable SAML" in r.get_data(as_text=True)


def test_no_account(world: World) -> None:
    r = world.browser().login("mallory")
    assert_refused(r, "user-not-found")
    assert "mallory" in r.get_data(as_text=True)


def test_inactive_account(world: World) -> None:
    assert_refused(world.browser().login("carol"), "account-inactive")


def test_failed_mapping_is_a_failed_check(world: World) -> None:
    world.browser().login("mallory")
    checks = world.verdicts()[-1].checks
    assert checks[-1].name == "Mapping" and checks[-1].ok is False
    assert all(c.ok for c in checks[:-1])  # every SAML check passed: only the mapping failed


# -- the account picker ----------------------------------------------------------------------


def _to_picker(w: World):
    b = w.browser()
    r = b.login("olga")
    assert r.status_code == 303, reason(r)
    assert r.headers["Location"].startswith("/fo/pick?t=")
    assert b.whoami()[0] == 401  # no session until an account is chosen
    return b, r.headers["Location"]


def test_picker_offers_both_accounts_and_opens_the_chosen_one(new_world) -> None:
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b, location = _to_picker(w)
    page = b.sp.get(location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ops_admin" in html and "ops_reader" in html
    (form,) = forms(html)
    assert form.action == "/fo/pick" and form.method == "post"
    r = b.sp.post("/fo/pick", data={**form.fields, "login": "ops_reader"})
    assert r.status_code == 303 and r.headers["Location"] == "/home"
    status, me = b.whoami()
    assert status == 200 and me["login"] == "ops_reader" and me["role"] == "Reader"
    assert [v.code for v in w.verdicts()] == ["account-picker", "session"]


def test_picker_keeps_the_relay_state(new_world) -> None:
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b = w.browser()
    r = b.login("olga", relay_state="/fo/assets")
    form = forms(b.sp.get(r.headers["Location"]).get_data(as_text=True))[0]
    r = b.sp.post("/fo/pick", data={**form.fields, "login": "ops_admin"})
    assert r.headers["Location"] == "/fo/assets"


def test_picker_refuses_another_browser(new_world) -> None:
    """The pick token is bound to the browser that logged in (login CSRF)."""
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b, location = _to_picker(w)
    token = location.split("t=", 1)[1]
    other = w.browser()
    assert_refused(other.sp.get(location), "pick-expired")
    assert_refused(other.sp.post("/fo/pick", data={"t": token, "login": "ops_admin"}), "pick-expired")
    assert other.whoami()[0] == 401
    # The rightful browser can still pick.
    assert b.sp.post("/fo/pick", data={"t": token, "login": "ops_admin"}).status_code == 303


def test_picker_refuses_an_account_it_did_not_offer(new_world) -> None:
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b, location = _to_picker(w)
    token = location.split("t=", 1)[1]
    assert_refused(b.sp.post("/fo/pick", data={"t": token, "login": "alice"}), "bad-request")
    assert b.whoami()[0] == 401


def test_picker_token_is_single_use(new_world) -> None:
    w = new_world(**BY_EMPLOYEE_NUMBER)
    b, location = _to_picker(w)
    token = location.split("t=", 1)[1]
    assert b.sp.post("/fo/pick", data={"t": token, "login": "ops_admin"}).status_code == 303
    assert_refused(b.sp.post("/fo/pick", data={"t": token, "login": "ops_reader"}), "pick-expired")


def test_picker_expires(new_world, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as real_time

    w = new_world(**BY_EMPLOYEE_NUMBER)
    b, location = _to_picker(w)
    token = location.split("t=", 1)[1]
    later = real_time.time() + 601
    monkeypatch.setattr("sp.store.time.time", lambda: later)
    assert_refused(b.sp.post("/fo/pick", data={"t": token, "login": "ops_admin"}), "pick-expired")


def test_picker_unknown_token(world: World) -> None:
    assert_refused(world.browser().sp.get("/fo/pick", query_string={"t": "forged"}), "pick-expired")


def test_picker_skips_accounts_without_saml(new_world) -> None:
    accounts = [
        Account("ops_admin", external_id="E-42", saml_enabled=True),
        Account("ops_off", external_id="E-42", saml_enabled=False),
    ]
    w = new_world(sub={"mapping_mode": "external_id", "accounts": accounts}, idp_sp={"nameid_source": "employeeNumber"})
    b = w.browser()
    r = b.login("olga")
    assert r.headers["Location"] == "/home"  # one usable account: no picker
    assert b.whoami()[1]["login"] == "ops_admin"
