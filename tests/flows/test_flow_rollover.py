"""A rollover's overlap at the ACS: Responses signed with the old or the new key both log in, and
the checks say which trusted certificate verified; a foreign key still fails."""

from __future__ import annotations

import pytest
from saml_helpers import Keys, World, assert_refused

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def signature_check(w: World) -> str:
    return next(c.detail for c in w.verdicts()[-1].checks if c.name == "Assertion signature")


def test_old_and_new_keys_both_log_in_during_the_overlap(new_world, keys: Keys) -> None:
    w: World = new_world(sub={"idp_cert_pem_next": keys.ec.cert_pem})
    b = w.browser()
    assert b.login("alice").status_code == 303  # the IdP still signs with the old key
    assert "the old certificate of the rollover" in signature_check(w)
    w.idp_config.key_pem, w.idp_config.cert_pem = keys.ec.key_pem, keys.ec.cert_pem  # the IdP switches
    w._idp = None
    b2 = w.browser()
    assert b2.login("alice").status_code == 303
    assert "the new certificate of the rollover" in signature_check(w)
    assert b2.whoami()[1]["login"] == "alice"


def test_a_foreign_key_is_refused_by_both_certificates(new_world, keys: Keys) -> None:
    w: World = new_world(sub={"idp_cert_pem_next": keys.ec.cert_pem})
    value = w.forge(key_pem=keys.foreign.key_pem, cert_pem=keys.foreign.cert_pem)
    assert_refused(w.browser().post_acs(value), "signature-invalid", 403)


def test_after_the_overlap_the_old_key_is_refused(new_world, keys: Keys) -> None:
    w: World = new_world(sub={"idp_cert_pem": keys.ec.cert_pem})
    assert_refused(w.browser().post_acs(w.forge()), "signature-invalid")
    assert w.browser().post_acs(w.forge(key_pem=keys.ec.key_pem, cert_pem=keys.ec.cert_pem)).status_code == 303
