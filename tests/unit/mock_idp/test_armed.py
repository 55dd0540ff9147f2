"""Armed scenarios: counted down per SP, refused when they cannot be built from one login, and built
from the very login being answered."""

from __future__ import annotations

import pytest

from mock_idp.armed import Armed, ArmedScenarios, ArmError, armable, build_message
from mock_idp.model import IdPUser, SPSettings
from samlkit import codec


def _armed(name: str, count: int = 1, keys=None) -> Armed:
    key, cert = keys or (b"", b"")
    return Armed(armable(name), count, key, cert)


def test_a_scenario_is_used_count_times_for_its_sp_only():
    armed = ArmedScenarios()
    armed.arm("sp-a", _armed("xsw1", 2))
    assert armed.take("sp-b") is None
    assert armed.listing() == [{"entity_id": "sp-a", "scenario": "xsw1", "remaining": 2}]
    assert armed.take("sp-a").scenario.name == "xsw1"
    assert armed.take("sp-a").scenario.name == "xsw1"
    assert armed.take("sp-a") is None and armed.listing() == []


def test_disarm_one_or_all():
    armed = ArmedScenarios()
    armed.arm("a", _armed("xsw1"))
    armed.arm("b", _armed("xsw2"))
    armed.disarm("a")
    assert [x["entity_id"] for x in armed.listing()] == ["b"]
    armed.disarm()
    assert armed.listing() == []


@pytest.mark.parametrize("name", ["no-such-scenario", "legitimate", "replay", "in-response-to-other-session"])
def test_what_cannot_be_armed_is_refused_in_words(name):
    with pytest.raises(ArmError) as err:
        armable(name)
    assert name in str(err.value)


def test_count_below_one_is_refused():
    with pytest.raises(ArmError):
        ArmedScenarios().arm("a", _armed("xsw1", 0))


def test_the_message_is_built_from_the_login_being_answered(keys):
    rsa = keys.idp
    sp = SPSettings(entity_id="sp", acs_url="https://sp.example/acs")
    alice, bob = IdPUser("alice", "pw"), IdPUser("bob", "pw")
    armed = Armed(armable("signature-removed-all"), 1, keys.foreign.key_pem, keys.foreign.cert_pem, victim="bob")
    msg = build_message(
        armed,
        idp_entity_id="https://idp.example",
        key_pem=rsa.key_pem,
        cert_pem=rsa.cert_pem,
        sp=sp,
        user=alice,
        users=[alice, bob],
        in_response_to="_req1",
        relay_state="/next",
    )
    xml = codec.decode_post(msg.fields["SAMLResponse"])
    assert b'InResponseTo="_req1"' in xml and b">bob<" in xml and b"Signature" not in xml
    assert msg.fields["RelayState"] == "/next"
