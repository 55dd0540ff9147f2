"""mock_idp.contract: the NameID and attributes a user gets at an SP, said once for the IdP, the
attack scenarios and the harness's predictions."""

from __future__ import annotations

from mock_idp.contract import IdPRoute, name_id_for, released_attributes, subject_value
from mock_idp.model import IdPConfig, IdPUser, SPSettings

USER = IdPUser("dave", "pw", email="dave@example.com", groups=["ops"], extra={"employeeNumber": "E-9"})


def settings(**kw: object) -> SPSettings:
    return SPSettings(entity_id="sp", acs_url="http://sp/acs", **kw)  # type: ignore[arg-type]


def test_the_name_id_comes_from_its_source_field_else_the_username() -> None:
    assert name_id_for(USER, settings()) == "dave"
    assert name_id_for(USER, settings(nameid_source="email")) == "dave@example.com"
    assert name_id_for(USER, settings(nameid_source="employeeNumber")) == "E-9"
    assert name_id_for(USER, settings(nameid_source="mail")) == "dave@example.com"  # a standard attribute name
    assert name_id_for(USER, settings(nameid_source="nickname")) == "dave"  # an empty source falls back


def test_a_transient_name_id_is_minted_per_response() -> None:
    transient = settings(nameid_format="transient", nameid_source="email")
    assert name_id_for(USER, transient) is None
    assert subject_value(USER, transient) == "dave@example.com"


def test_released_attributes_leave_out_the_empty_ones_in_the_sps_order() -> None:
    released = released_attributes(USER, settings(attributes=["groups", "sn", "uid", "employeeNumber"]))
    assert released == {"groups": ["ops"], "uid": ["dave"], "employeeNumber": ["E-9"]}
    assert list(released) == ["groups", "uid", "employeeNumber"]


def test_the_sso_url_is_the_sso_route() -> None:
    config = IdPConfig(entity_id="idp", base_url="http://127.0.0.1:1", key_pem=b"", cert_pem=b"")
    assert config.sso_url == "http://127.0.0.1:1" + IdPRoute.SSO
