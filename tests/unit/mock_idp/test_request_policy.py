"""mock_idp.request_policy: the ACS check, IsPassive, NameIDPolicy and RequestedAuthnContext rules."""

from __future__ import annotations

import pytest

from mock_idp.model import SPSettings
from mock_idp.request_policy import (
    AcsProblem,
    PolicyError,
    RequestPolicy,
    authn_context,
    check_passive,
    nameid_format,
    nameid_settings,
    shows_login_form,
    with_requested_acs,
)
from samlkit import authn_context as ac
from samlkit import ns

ACS = "https://sp.test/acs"


OTHER = "https://sp.test/acs2"


@pytest.mark.parametrize(
    ("policy", "code", "answered_to"),
    [
        (RequestPolicy(acs_url=ACS), None, ACS),
        (RequestPolicy(acs_index=0), None, ACS),
        (RequestPolicy(), None, ACS),
        (RequestPolicy(acs_url=OTHER), None, OTHER),  # another ACS of the SP's metadata
        (RequestPolicy(acs_index=2), None, OTHER),
        (RequestPolicy(acs_url="https://evil.test/acs"), "acs-mismatch", None),
        (RequestPolicy(acs_index=3), "acs-index-unknown", None),
        (RequestPolicy(acs_url=ACS, acs_index=0), "acs-mismatch", None),
        (RequestPolicy(protocol_binding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS"), "binding-unsupported", None),
    ],
)
def test_the_acs_must_be_a_registered_one(policy: RequestPolicy, code: str | None, answered_to: str | None) -> None:
    sp = SPSettings("sp", ACS, acs_others={"2": OTHER})
    if code is None:
        assert with_requested_acs(policy, sp).acs_url == answered_to
        return
    with pytest.raises(AcsProblem) as err:
        with_requested_acs(policy, sp)
    assert err.value.code == code


def test_is_passive_and_force_authn() -> None:
    passive = RequestPolicy(is_passive=True)
    check_passive(passive, has_session=True)
    with pytest.raises(PolicyError) as err:
        check_passive(passive, has_session=False)
    assert err.value.sub_status.endswith(":NoPassive") and err.value.top == ns.STATUS_RESPONDER
    with pytest.raises(PolicyError):
        check_passive(RequestPolicy(is_passive=True, force_authn=True), has_session=True)
    assert not shows_login_form(RequestPolicy(), has_session=True)
    assert shows_login_form(RequestPolicy(force_authn=True), has_session=True)
    assert shows_login_form(RequestPolicy(), has_session=False)


def test_nameid_policy_format_and_allow_create() -> None:
    assert nameid_format(RequestPolicy(), "emailAddress", issued_before=False) == "emailAddress"
    unspecified = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["unspecified"])
    assert nameid_format(unspecified, "persistent", issued_before=False) == "persistent"
    transient = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["transient"])
    assert nameid_format(transient, "unspecified", issued_before=False) == "transient"
    with pytest.raises(PolicyError) as err:
        kerberos = RequestPolicy(nameid_format="urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos")
        nameid_format(kerberos, "x", issued_before=True)
    assert err.value.sub_status.endswith(":InvalidNameIDPolicy") and "kerberos" in err.value.message
    persistent = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["persistent"], allow_create=False)
    with pytest.raises(PolicyError, match="never issued"):
        nameid_format(persistent, "unspecified", issued_before=False)
    assert nameid_format(persistent, "unspecified", issued_before=True) == "persistent"
    email = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["emailAddress"])
    settings = nameid_settings(email, SPSettings("sp", ACS), issued_before=False)
    assert (settings.nameid_format, settings.nameid_source) == ("emailAddress", "email")


@pytest.mark.parametrize(
    ("classes", "comparison", "mfa", "stated"),
    [
        ([], "exact", False, ac.PASSWORD_PROTECTED),
        ([], "exact", True, ac.TIME_SYNC_TOKEN),
        ([ac.PASSWORD_PROTECTED], "exact", False, ac.PASSWORD_PROTECTED),
        ([ac.REFEDS_MFA], "exact", True, ac.REFEDS_MFA),
        ([ac.REFEDS_MFA], "exact", False, None),
        ([ac.PASSWORD_PROTECTED], "minimum", True, ac.TIME_SYNC_TOKEN),
        ([ac.PASSWORD_PROTECTED], "minimum", False, ac.PASSWORD_PROTECTED),
        ([ac.REFEDS_MFA], "minimum", True, ac.REFEDS_MFA),
        ([ac.TIME_SYNC_TOKEN], "minimum", False, None),
        ([ac.PASSWORD_PROTECTED], "better", False, None),
        ([ac.PASSWORD_PROTECTED], "better", True, ac.TIME_SYNC_TOKEN),
        ([ac.PASSWORD_PROTECTED], "maximum", True, ac.PASSWORD_PROTECTED),
        ([ac.PASSWORD], "maximum", False, None),
        (["urn:example:unknown", ac.PASSWORD_PROTECTED], "minimum", False, ac.PASSWORD_PROTECTED),
        (["urn:example:unknown"], "minimum", True, None),
        ([ac.PASSWORD_PROTECTED], "sideways", False, None),
    ],
)
def test_requested_authn_context(classes: list[str], comparison: str, mfa: bool, stated: str | None) -> None:
    policy = RequestPolicy(authn_contexts=classes, comparison=comparison)
    if stated is not None:
        assert authn_context(policy, mfa=mfa) == stated
        return
    with pytest.raises(PolicyError) as err:
        authn_context(policy, mfa=mfa)
    assert err.value.sub_status.endswith(":NoAuthnContext")


def test_honouring_remembers_persistent_identifiers_per_user_and_sp() -> None:
    from mock_idp.request_policy import Honouring

    h = Honouring()
    sp = SPSettings("sp", ACS)
    no_create = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["persistent"], allow_create=False)
    with pytest.raises(PolicyError):
        h.answer(no_create, sp, "alice", mfa=False)
    create = RequestPolicy(nameid_format=ns.NAMEID_FORMATS["persistent"])
    settings, context = h.answer(create, sp, "alice", mfa=True)
    assert settings.nameid_format == "persistent" and context == ac.TIME_SYNC_TOKEN
    assert h.answer(no_create, sp, "alice", mfa=False)[0].nameid_format == "persistent"
    with pytest.raises(PolicyError):
        h.answer(no_create, sp, "bob", mfa=False)
