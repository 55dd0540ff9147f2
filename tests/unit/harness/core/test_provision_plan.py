"""The provisioning plan (harness.core.provision_plan): pure, from users, rules and listed accounts."""

from __future__ import annotations

from harness.core.provision import make_plan, match_rule
from harness.core.workspace import Rule
from mock_idp.model import IdPUser

RULES = [Rule("admins", "Manager", ["All"]), Rule("secops", "Scanner", ["DMZ"]), Rule("audit", "Reader", ["Audit"])]


def user(name: str, *groups: str, first: str = "", last: str = "") -> IdPUser:
    return IdPUser(name, "pw", email=f"{name}@corp.test", first_name=first, last_name=last, groups=list(groups))


def account(login: str, **kw: object) -> dict:
    base = {
        "login": login,
        "external_id": "",
        "saml_enabled": True,
        "role": "Reader",
        "scope": [],
        "active": True,
        "first_name": "",
        "last_name": "",
        "email": f"{login}@corp.test",
    }
    base.update(kw)
    return base


def test_first_matching_rule_wins_and_users_without_a_rule_are_not_provisioned() -> None:
    assert match_rule(user("a", "secops", "admins"), RULES).role == "Manager"
    assert match_rule(user("b", "audit", "secops"), RULES).role == "Scanner"
    assert match_rule(user("c", "marketing"), RULES) is None
    assert match_rule(user("c", "marketing"), [*RULES, Rule("*", "Reader")]).role == "Reader"
    plan = make_plan([user("c", "marketing")], RULES, [], idm_key="1")
    assert plan.empty and plan.not_provisioned == ["c"]


def test_create_change_deactivate_in_login_mode() -> None:
    users = [user("new", "audit"), user("moved", "admins"), user("same", "secops"), user("gone", "marketing")]
    accounts = [
        account("moved", role="Scanner", scope=["DMZ"]),
        account("same", role="Scanner", scope=["DMZ"]),
        account("gone", role="Reader", scope=["Audit"]),
        account("mgr", role="Manager"),
    ]
    plan = make_plan(users, RULES, accounts, idm_key="1", protected={"mgr"})
    assert [(c.login, c.fields["role"], c.fields["scope"]) for c in plan.creates] == [("new", "Reader", ["Audit"])]
    [change] = plan.changes
    assert (change.login, change.fields, change.before) == (
        "moved",
        {"role": "Manager", "scope": ["All"]},
        {"role": "Scanner", "scope": ["DMZ"]},
    )
    assert [c.login for c in plan.deactivates] == ["gone"] and "marketing match no rule" in plan.deactivates[0].reason
    assert plan.unchanged == ["same"]
    text = "\n".join(plan.lines())
    assert "create     new  (Reader, scope Audit)  (group audit)" in text
    assert "change     moved: role 'Scanner' → 'Manager'; scope DMZ → All" in text


def test_external_id_mode_generates_logins_and_links_by_external_id() -> None:
    users = [
        user("jdoe", "secops", first="Jane", last="Doe"),
        user("jdoe2", "audit", first="John", last="Doe"),
        user("kept", "audit"),
    ]
    accounts = [account("abcd_kk", external_id="kept", role="Reader", scope=["Audit"], email="kept@corp.test")]
    plan = make_plan(users, RULES, accounts, idm_key="1", mode="external_id", primary_contact="abcd_ef")
    assert [(c.login, c.fields["external_id"]) for c in plan.creates] == [("abcd_jd", "jdoe"), ("abcd_jd2", "jdoe2")]
    assert plan.unchanged == ["abcd_kk"]


def test_an_identity_with_two_accounts_is_left_to_the_picker() -> None:
    accounts = [account("ops_a", external_id="olga", role="Manager"), account("ops_r", external_id="olga")]
    plan = make_plan([user("olga", "audit")], RULES, accounts, idm_key="1", mode="external_id")
    assert plan.empty and "the account picker; left as they are" in plan.notes[0]


def test_a_provisioned_account_whose_user_left_the_directory_is_deactivated() -> None:
    plan = make_plan([], RULES, [account("ghost"), account("manual")], idm_key="1", provisioned={"ghost"})
    assert [(c.login, c.reason) for c in plan.deactivates] == [("ghost", "(the user left the IdP directory)")]
