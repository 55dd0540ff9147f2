"""Two tenants on one IdP: IdP-initiated logins reach the subscription the RelayState names."""

from __future__ import annotations

import pytest
from saml_helpers import Keys, World, assert_refused, subscription

from sp.model import Account

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def tenants(new_world, keys: Keys, **second) -> World:
    globex = subscription(
        idm_key="2002",
        name="Globex",
        accounts=[Account("alice", saml_enabled=True, role="Reader")],
        **second,
    )
    return new_world(extra_subs=[globex])


@pytest.mark.parametrize("key", ["1001", "2002"])
def test_idp_initiated_reaches_the_chosen_subscription(new_world, keys: Keys, key: str) -> None:
    w = tenants(new_world, keys)
    b = w.browser()
    r = b.idp_initiated("alice", relay_state=f"idm_key={key}")
    assert r.status_code == 303 and r.headers["Location"] == "/home"
    assert b.whoami()[1]["subscription"] == key
    checks = w.verdicts()[-1].checks
    assert any(c.name == "Subscription" and f"idm_key={key} chose" in c.detail for c in checks)


def test_without_a_choice_the_first_trusting_subscription_and_a_note(new_world, keys: Keys) -> None:
    w = tenants(new_world, keys)
    b = w.browser()
    assert b.idp_initiated("alice").status_code == 303
    assert b.whoami()[1]["subscription"] == "1001"
    note = next(c for c in w.verdicts()[-1].checks if c.name == "Subscription")
    assert "2 subscriptions trust" in note.detail and "idm_key=KEY" in note.detail


def test_a_choice_the_issuer_does_not_fit_is_refused(new_world, keys: Keys) -> None:
    w = tenants(new_world, keys, idp_entity_id="https://other-idp.test")
    assert_refused(w.browser().idp_initiated("alice", relay_state="idm_key=2002"), "issuer-mismatch")
    assert_refused(w.browser().idp_initiated("alice", relay_state="idm_key=3003"), "unknown-subscription", 404)


def test_the_choice_still_needs_the_chosen_trust_to_verify(new_world, keys: Keys) -> None:
    """Choosing a tenant narrows the candidates; it never skips the chosen one's certificate."""
    w = tenants(new_world, keys, idp_cert_pem=keys.ec.cert_pem)
    assert_refused(w.browser().idp_initiated("alice", relay_state="idm_key=2002"), "signature-invalid")


def test_a_wrong_entity_id_in_one_questionnaire_is_not_the_browsers_fault(new_world, keys: Keys) -> None:
    """2002's questionnaire has a typo in the IdP EntityID; 1001 trusts the real one. An SP-initiated
    login from 2002 used to be taken by 1001 and refused as in-response-to-other-session."""
    w = tenants(new_world, keys, idp_entity_id="https://idp.test/saml/metadta")
    r = w.browser().login("alice", idm_key="2002")
    assert_refused(r, "issuer-mismatch")
    assert "questionnaire" in w.verdicts()[-1].message
