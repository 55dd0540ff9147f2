"""sp.request_options: a subscription's AuthnRequest options as pysaml2 arguments, checked and described."""

from __future__ import annotations

from saml_helpers import subscription

from samlkit import authn_context as ac
from samlkit import ns
from sp.request_options import authn_request_kwargs, describe, problems


def test_a_bare_request_by_default() -> None:
    sub = subscription()
    assert authn_request_kwargs(sub) == {} and describe(sub) == "a bare AuthnRequest" and problems(sub) == []


def test_every_option_becomes_a_pysaml2_argument() -> None:
    sub = subscription(
        request_force_authn=True,
        request_passive=True,
        request_nameid_format="persistent",
        request_allow_create=False,
        request_authn_context=["mfa", "urn:x:class"],
        request_authn_comparison="minimum",
    )
    kw = authn_request_kwargs(sub)
    assert (kw["force_authn"], kw["is_passive"]) == ("true", "true")
    assert (kw["name_id_policy"].format, kw["name_id_policy"].allow_create) == (
        ns.NAMEID_FORMATS["persistent"],
        "false",
    )
    rac = kw["requested_authn_context"]
    assert [c.text for c in rac.authn_context_class_ref] == [ac.REFEDS_MFA, "urn:x:class"]
    assert rac.comparison == "minimum"
    assert describe(sub).startswith("ForceAuthn; IsPassive; NameIDPolicy persistent (AllowCreate false)")
    transient = authn_request_kwargs(subscription(request_nameid_format="transient"))
    assert transient["name_id_policy"].allow_create is None  # SAML errata: never with transient


def test_problems_in_words() -> None:
    assert problems(subscription(request_authn_comparison="sideways"))
    assert problems(subscription(request_nameid_format="kerberos"))
    assert problems(subscription(request_authn_context=["strong"]))
