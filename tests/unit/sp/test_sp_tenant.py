"""Which subscription a Response is for: the RelayState choice, the request, the Issuer."""

from __future__ import annotations

import pytest
from lxml import etree

from samlkit import ns
from sp.contract.reasons import Refusal
from sp.model import SPConfig, Subscription
from sp.tenant import candidates, chosen_key

IDP = "https://idp.test/saml"


def response(issuer: str = IDP, in_response_to: str | None = None) -> etree._Element:
    root = etree.Element(ns.q(ns.SAMLP, "Response"), nsmap={"samlp": ns.SAMLP, "saml": ns.SAML})
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, ns.q(ns.SAML, "Issuer")).text = issuer
    return root


def config(*subs: Subscription) -> SPConfig:
    return SPConfig(base_url="http://sp.test", subscriptions=list(subs))


def sub(key: str, entity: str = IDP) -> Subscription:
    return Subscription(idm_key=key, name=f"S{key}", idp_entity_id=entity, idp_cert_pem=b"x", idp_sso_url="http://i/")


@pytest.mark.parametrize(
    ("relay", "key"),
    [
        ("idm_key=4711", "4711"),
        (" idm_key=saml2_ab12 ", "saml2_ab12"),
        ("/home", None),
        (None, None),
        ("", None),
        ("idm_key=", None),
        ("idm_key=1&x=2", None),
        ("x=1&idm_key=2", None),
    ],
)
def test_chosen_key(relay: str | None, key: str | None) -> None:
    assert chosen_key(relay) == key


def test_the_relay_state_chooses_among_subscriptions_that_trust_the_issuer() -> None:
    cfg = config(sub("1"), sub("2"))
    found = candidates(cfg, response(), lambda _i: None, "2")
    assert [s.idm_key for s in found.subscriptions] == ["2"] and "idm_key=2 chose S2" in found.note
    both = candidates(cfg, response(), lambda _i: None)
    assert [s.idm_key for s in both.subscriptions] == ["1", "2"] and "no RelayState idm_key=KEY" in both.note
    assert candidates(config(sub("1")), response(), lambda _i: None).note == ""


def test_a_choice_of_an_unknown_or_other_idps_subscription_is_refused() -> None:
    cfg = config(sub("1"), sub("9", "https://other.test"))
    with pytest.raises(Refusal) as err:
        candidates(cfg, response(), lambda _i: None, "5")
    assert err.value.code == "unknown-subscription"
    with pytest.raises(Refusal) as err:
        candidates(cfg, response(), lambda _i: None, "9")
    assert err.value.code == "issuer-mismatch" and "https://other.test" in err.value.message


def test_a_request_of_a_subscription_that_trusts_another_entity_id_is_the_questionnaires_fault() -> None:
    """The questionnaire gave a wrong EntityID: another subscription trusting the real Issuer must not take it."""
    cfg = config(sub("1"), sub("2", "https://typo.test"))
    requests = {"_r2": {"idm_key": "2"}}
    with pytest.raises(Refusal) as err:
        candidates(cfg, response(in_response_to="_r2"), requests.get)
    assert err.value.code == "issuer-mismatch"
    assert "subscription S2 (idm_key 2)" in err.value.message and "questionnaire" in err.value.message


def test_a_solicited_response_ignores_a_relay_state_choice() -> None:
    """SP-initiated, the request names the subscription; a RelayState idm_key=... cannot move it."""
    cfg = config(sub("1"), sub("2"))
    found = candidates(cfg, response(in_response_to="_r1"), {"_r1": {"idm_key": "1"}}.get, "2")
    assert [s.idm_key for s in found.subscriptions] == ["1"] and "the request of S1" in found.note
