"""samlkit.authn_context: short names and the strength order the mock IdP compares with."""

from __future__ import annotations

from samlkit import authn_context as ac


def test_short_names_expand_and_come_back() -> None:
    assert ac.expand(" mfa ") == ac.REFEDS_MFA and ac.expand("totp") == ac.TIME_SYNC_TOKEN
    assert ac.expand("urn:x:y") == "urn:x:y"
    assert ac.short(ac.PASSWORD_PROTECTED) == "ppt" and ac.short("urn:x:y") == "urn:x:y"


def test_a_second_factor_is_stronger_than_a_password() -> None:
    s = ac.STRENGTH
    assert s[ac.PASSWORD] < s[ac.PASSWORD_PROTECTED] < s[ac.TIME_SYNC_TOKEN] == s[ac.REFEDS_MFA]
