"""The user API (`/api/2.0/fo/user/`): HTTP Basic only, never a SAML session; writes need a
Manager and X-Requested-With; SAML cannot be enabled without the New Data Security Model."""

from __future__ import annotations

import base64

import pytest
from saml_helpers import API_PASSWORD, IDM_KEY, World, assert_refused

from sp.model import SPConfig

pytestmark = pytest.mark.usefixtures("no_process_spawned")

API = "/api/2.0/fo/user/"
XRW = {"X-Requested-With": "curl"}


def basic(login: str, password: str = API_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_auth_lists_accounts_without_passwords(world: World) -> None:
    r = world.browser().sp.get(API, headers=basic("alice"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["subscription"] == IDM_KEY
    logins = [a["login"] for a in body["accounts"]]
    assert "alice" in logins and "ops_reader" in logins
    assert all("password" not in a for a in body["accounts"])


def test_basic_auth_works_without_a_trailing_slash(world: World) -> None:
    assert world.browser().sp.get(API.rstrip("/"), headers=basic("dave")).status_code == 200


def test_wrong_password(world: World) -> None:
    assert_refused(world.browser().sp.get(API, headers=basic("alice", "nope")), "api-auth-required", 401)


def test_account_without_api_password(world: World) -> None:
    assert_refused(world.browser().sp.get(API, headers=basic("tina", "")), "api-auth-required", 401)


def test_no_credentials(world: World) -> None:
    assert_refused(world.browser().sp.get(API), "api-auth-required", 401)


def test_saml_session_is_refused(world: World) -> None:
    b = world.browser()
    assert b.login("alice").status_code == 303
    assert b.whoami()[0] == 200
    assert_refused(b.sp.get(API), "api-saml-session-refused", 401)
    assert_refused(b.sp.post(API, data={"action": "add", "login": "x"}, headers=XRW), "api-saml-session-refused", 401)
    # The same browser with a login and password is fine: Basic is what counts.
    assert b.sp.get(API, headers=basic("alice")).status_code == 200


def test_writes_need_x_requested_with(world: World) -> None:
    r = world.browser().sp.post(API, data={"action": "add", "login": "newbie"}, headers=basic("alice"))
    assert_refused(r, "csrf", 403)
    assert world.sp.config.subscription(IDM_KEY).accounts[-1].login != "newbie"


def test_writes_need_a_manager(world: World) -> None:
    r = world.browser().sp.post(API, data={"action": "add", "login": "newbie"}, headers={**basic("dave"), **XRW})
    assert_refused(r, "forbidden", 403)


def test_writes_need_post(world: World) -> None:
    r = world.browser().sp.get(API, query_string={"action": "add", "login": "x"}, headers=basic("alice"))
    assert_refused(r, "bad-request", 405)


def test_manager_adds_an_account_that_can_then_log_in(world: World) -> None:
    changed: list[SPConfig] = []
    world.sp.on_accounts_changed = changed.append
    b = world.browser()
    assert_refused(b.login("mallory"), "user-not-found")
    r = b.sp.post(
        API,
        data={"action": "add", "login": "mallory", "saml_enabled": "1", "role": "Scanner", "scope": "web, db"},
        headers={**basic("alice"), **XRW},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    account = r.get_json()["account"]
    assert (account["login"], account["role"], account["scope"], account["saml_enabled"]) == (
        "mallory",
        "Scanner",
        ["web", "db"],
        True,
    )
    assert changed and changed[-1].subscription(IDM_KEY).accounts[-1].login == "mallory"
    b2 = world.browser()
    assert b2.login("mallory").status_code == 303
    assert b2.whoami()[1]["role"] == "Scanner"


def test_manager_enables_saml_for_a_user(world: World) -> None:
    b = world.browser()
    assert_refused(b.login("bob"), "saml-disabled-for-user")
    r = b.sp.post(
        API, data={"action": "edit", "login": "bob", "saml_enabled": "yes"}, headers={**basic("alice"), **XRW}
    )
    assert r.status_code == 200 and r.get_json()["account"]["saml_enabled"] is True
    assert world.browser().login("bob").status_code == 303


def test_manager_deactivates_a_user(world: World) -> None:
    r = world.browser().sp.post(API, data={"action": "deactivate", "login": "dave"}, headers={**basic("alice"), **XRW})
    assert r.status_code == 200
    assert_refused(world.browser().login("dave"), "account-inactive")
    assert_refused(world.browser().sp.get(API, headers=basic("dave")), "api-auth-required", 401)


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        ({"action": "add", "login": "alice"}, "bad-request", 409),
        ({"action": "add", "login": "x", "role": "Emperor"}, "bad-request", 400),
        ({"action": "add"}, "bad-request", 400),
        ({"action": "edit", "login": "nobody"}, "user-not-found", 404),
        ({"action": "explode", "login": "x"}, "bad-request", 400),
    ],
    ids=["duplicate", "bad-role", "no-login", "edit-unknown", "unknown-action"],
)
def test_bad_writes(world: World, data: dict, code: str, status: int) -> None:
    assert_refused(world.browser().sp.post(API, data=data, headers={**basic("alice"), **XRW}), code, status)


def test_saml_cannot_be_enabled_without_nds(new_world) -> None:
    w = new_world(sub={"nds_enabled": False})
    b = w.browser()
    headers = {**basic("alice"), **XRW}
    assert_refused(
        b.sp.post(API, data={"action": "add", "login": "n1", "saml_enabled": "1"}, headers=headers), "nds-required"
    )
    assert_refused(
        b.sp.post(API, data={"action": "edit", "login": "bob", "saml_enabled": "1"}, headers=headers), "nds-required"
    )
    # Without SAML the account is fine.
    assert b.sp.post(API, data={"action": "add", "login": "n1"}, headers=headers).status_code == 200
