"""Many subscriptions on one SP: each has its own URL and trust; several may trust the same IdP
EntityID (one IdP, two onboardings), and then the certificate that verifies decides."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from saml_helpers import IDP_ENTITY, Keys, World, assert_refused, subscription

from sp.model import Account

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def second(keys: Keys, **kw) -> object:
    base = {
        "idm_key": "2002",
        "name": "Globex",
        "idp_cert_pem": keys.ec.cert_pem,
        "idp_sso_url": "http://idp2.test/sso",
        "exit_url": "https://globex.test/bye",
        "accounts": [Account("alice", saml_enabled=True, role="Reader"), Account("gina", saml_enabled=True)],
    }
    return subscription(**{**base, **kw})


def test_each_subscription_has_its_own_login_url(new_world, keys: Keys) -> None:
    w = new_world(extra_subs=[second(keys)])
    b = w.browser()
    _, r1 = b.start("1001")
    _, r2 = b.start("2002")
    assert urlsplit(r1.headers["Location"]).netloc == "idp.test"
    assert urlsplit(r2.headers["Location"]).netloc == "idp2.test"


def test_same_idp_entity_id_the_verifying_certificate_wins(new_world, keys: Keys) -> None:
    w: World = new_world(extra_subs=[second(keys)])
    # Signed with the first subscription's key: subscription 1001.
    b1 = w.browser()
    assert b1.post_acs(w.forge()).status_code == 303
    assert b1.whoami()[1]["subscription"] == "1001"
    # Signed with the second subscription's (EC) key: the first certificate fails, the second verifies.
    b2 = w.browser()
    assert b2.post_acs(w.forge(key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)).status_code == 303
    me = b2.whoami()[1]
    assert (me["subscription"], me["login"], me["role"]) == ("2002", "alice", "Reader")
    assert w.verdicts()[-1].subscription == "2002"


def test_same_idp_entity_id_account_only_in_the_second(new_world, keys: Keys) -> None:
    w: World = new_world(extra_subs=[second(keys)])
    w.idp_config.users.append(w.idp_config.user("alice").__class__("gina", "gina-pw"))
    b = w.browser()
    assert b.post_acs(w.forge(user="gina", key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)).status_code == 303
    assert b.whoami()[1]["subscription"] == "2002"
    # Signed by the first IdP key, gina has no account in 1001: no fall-through to 2002.
    assert_refused(w.browser().post_acs(w.forge(user="gina")), "user-not-found")


def test_no_certificate_verifies_first_candidates_reason(new_world, keys: Keys) -> None:
    w: World = new_world(extra_subs=[second(keys)])
    b = w.browser()
    r = b.post_acs(w.forge(key_pem=keys.foreign.key_pem, cert_pem=keys.foreign.cert_pem))
    assert_refused(r, "signature-invalid", 403)
    verdict = w.verdicts()[-1]
    assert verdict.subscription == "1001"
    assert verdict.checks[-1].name == "Assertion signature" and verdict.checks[-1].ok is False


def test_first_candidates_reason_even_when_another_fails_differently(new_world, keys: Keys) -> None:
    """Unsigned: every candidate says signature-missing; SHA-1 with the second key: the first says invalid."""
    w: World = new_world(extra_subs=[second(keys)])
    assert_refused(w.browser().post_acs(w.forge(sign="none")), "signature-missing")
    r = w.browser().post_acs(w.forge(sig_hash="sha1", key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem))
    assert_refused(r, "weak-algorithm")


def test_solicited_response_belongs_to_the_requesting_subscription(new_world, keys: Keys) -> None:
    """Both trust the same IdP and certificate: the request decides, not the order."""
    w: World = new_world(extra_subs=[second(keys, idp_cert_pem=keys.idp.cert_pem)])
    b = w.browser()
    rid, _ = b.start("2002")
    assert b.post_acs(w.forge(in_response_to=rid)).status_code == 303
    assert b.whoami()[1]["subscription"] == "2002"
    r = b.log_out()
    assert r.headers["Location"] == "https://globex.test/bye"


def test_in_response_to_only_in_the_subject_confirmation_still_finds_its_subscription(new_world, keys: Keys) -> None:
    """Some IdPs omit the Response's InResponseTo and keep only the SubjectConfirmationData's."""
    w: World = new_world(extra_subs=[second(keys, idp_cert_pem=keys.idp.cert_pem)])
    b = w.browser()
    rid, _ = b.start("2002")

    def drop_response_irt(resp, assertion):
        del resp.attrib["InResponseTo"]

    assert b.post_acs(w.forge(in_response_to=rid, before_sign=drop_response_irt)).status_code == 303
    assert b.whoami()[1]["subscription"] == "2002"


def test_request_of_one_subscription_answered_for_another(new_world, keys: Keys) -> None:
    """A request sent for 2002 cannot be answered with a Response only 1001's certificate verifies."""
    w: World = new_world(extra_subs=[second(keys)])
    b = w.browser()
    rid, _ = b.start("2002")
    assert_refused(b.post_acs(w.forge(in_response_to=rid)), "signature-invalid")


def test_different_idps_are_told_apart_by_issuer(new_world, keys: Keys) -> None:
    other = second(keys, idp_entity_id="https://idp2.test/saml")
    w: World = new_world(extra_subs=[other])
    b = w.browser()
    value = w.forge(issuer="https://idp2.test/saml", key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)
    assert b.post_acs(value).status_code == 303
    assert b.whoami()[1]["subscription"] == "2002"
    # The right key but the other IdP's name: refused by the named subscription's certificate.
    assert_refused(w.browser().post_acs(w.forge(issuer="https://idp2.test/saml")), "signature-invalid")
    assert IDP_ENTITY != "https://idp2.test/saml"


def test_a_subscription_without_nds_is_skipped_when_another_trusts_the_idp(new_world, keys: Keys) -> None:
    w: World = new_world(sub={"nds_enabled": False}, extra_subs=[second(keys, idp_cert_pem=keys.idp.cert_pem)])
    b = w.browser()
    assert b.post_acs(w.forge()).status_code == 303
    assert b.whoami()[1]["subscription"] == "2002"
