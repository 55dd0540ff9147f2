"""sp.mapping.decide: exact matches by login or External ID (or either), from the NameID or an
attribute, and a clear reason for every way it can fail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sp.mapping import decide, predict
from sp.model import Account, Subscription
from sp.refusal import Refusal


def sub(mode: str = "login", source: str = "nameid", accounts: list[Account] | None = None) -> Subscription:
    return Subscription(
        idm_key="1",
        mapping_mode=mode,
        identity_source=source,
        accounts=accounts
        or [
            Account("alice", external_id="E-1", saml_enabled=True),
            Account("bob", external_id="E-2", saml_enabled=False),
            Account("carol", external_id="E-3", saml_enabled=True, active=False),
            Account("ops1", external_id="E-9", saml_enabled=True),
            Account("ops2", external_id="E-9", saml_enabled=True),
        ],
    )


def refusal(*args) -> Refusal:
    with pytest.raises(Refusal) as err:
        decide(*args)
    return err.value


def test_by_login() -> None:
    d = decide(sub(), "alice", {})
    assert [a.login for a in d.usable] == ["alice"]
    assert (d.source, d.field, d.value) == ("NameID", "login", "alice")
    assert d.explanation == "NameID 'alice' matched login of alice"


def test_by_external_id_with_two_accounts() -> None:
    d = decide(sub("external_id"), "E-9", {})
    assert [a.login for a in d.usable] == ["ops1", "ops2"]
    assert d.explanation.endswith("(account picker)")


def test_attribute_source() -> None:
    d = decide(sub("external_id", "attribute:employeeNumber"), "ignored", {"employeeNumber": ["E-1", "E-1"]})
    assert [a.login for a in d.usable] == ["alice"]  # the same value twice is still one identity
    assert d.source == "attribute employeeNumber"
    # Two different values name two users: refused, never "the first one wins" (red team 2).
    with pytest.raises(Refusal) as err:
        decide(sub("external_id", "attribute:employeeNumber"), "ignored", {"employeeNumber": ["E-1", "E-2"]})
    assert err.value.code == "identity-ambiguous"


def test_either_prefers_external_id() -> None:
    accounts = [Account("E-1", saml_enabled=True), Account("alice", external_id="E-1", saml_enabled=True)]
    assert [a.login for a in decide(sub("either", accounts=accounts), "E-1", {}).usable] == ["alice"]
    assert [a.login for a in decide(sub("either", accounts=accounts), "alice", {}).usable] == ["alice"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((sub(), "", {}), "identity-missing"),
        ((sub("login", "attribute:mail"), "alice", {}), "identity-missing"),
        ((sub(), "mallory", {}), "user-not-found"),
        ((sub(), "bob", {}), "saml-disabled-for-user"),
        ((sub(), "carol", {}), "account-inactive"),
        ((sub("external_id"), "alice", {}), "user-not-found"),
        ((sub("login"), "E-1", {}), "user-not-found"),
    ],
    ids=["no-nameid", "attribute-absent", "unknown", "saml-off", "inactive", "login-in-external-mode", "ext-in-login"],
)
def test_refusals(args, code: str) -> None:
    assert refusal(*args).code == code


def test_unknown_identity_lists_what_the_subscription_has() -> None:
    r = refusal(sub("external_id"), "E-404", {})
    assert "'E-1'" in r.message and "'alice'" not in r.message
    r = refusal(sub("either"), "zed", {})
    assert "'E-1'" in r.message and "'alice'" in r.message


def test_empty_external_id_never_matches() -> None:
    accounts = [Account("alice", external_id="", saml_enabled=True)]
    assert refusal(sub("external_id", accounts=accounts), "", {"x": [""]}).code == "identity-missing"
    assert refusal(sub("external_id", "attribute:x", accounts), "", {"x": [""]}).code == "identity-missing"


@given(st.text(max_size=12))
def test_matching_is_exact(value: str) -> None:
    """No trimming, no case folding: only the identical string reaches an account."""
    try:
        d = decide(sub(), value, {})
    except Refusal:
        return
    assert all(a.login == value for a in d.usable)


# -- predict: the same decision as data, for tools -------------------------------------------------


def test_predict_is_decide_as_data() -> None:
    p = predict(sub(), "alice", {})
    assert (p.outcome, p.logins, p.identity, p.account) == ("session", ["alice"], "alice", "alice")
    assert p.explanation == decide(sub(), "alice", {}).explanation
    picker = predict(sub("external_id"), "E-9", {})
    assert (picker.outcome, picker.logins, picker.account) == ("picker", ["ops1", "ops2"], "ops1")


def test_predict_names_the_account_the_sp_will_refuse() -> None:
    p = predict(sub(), "bob", {})
    assert (p.outcome, p.logins, p.account) == ("saml-disabled-for-user", [], "bob")
    assert p.explanation == refusal(sub(), "bob", {}).message
    assert predict(sub(), "carol", {}).outcome == "account-inactive"


def test_predict_without_a_match_or_an_identity() -> None:
    nobody = predict(sub(), "mallory", {})
    assert (nobody.outcome, nobody.account, nobody.identity) == ("user-not-found", None, "mallory")
    missing = predict(sub(source="attribute:mail"), "alice", {})
    assert (missing.outcome, missing.identity) == ("identity-missing", None)
    two = predict(sub(source="attribute:mail"), "alice", {"mail": ["a@x", "b@x"]})
    assert two.outcome == "identity-ambiguous"


@given(st.text(max_size=12))
def test_predict_always_agrees_with_decide(value: str) -> None:
    p = predict(sub("either"), value, {})
    try:
        d = decide(sub("either"), value, {})
    except Refusal as r:
        assert p.outcome == r.code and p.logins == []
    else:
        assert p.logins == [a.login for a in d.usable]
