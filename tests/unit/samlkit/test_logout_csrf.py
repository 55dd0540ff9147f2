"""samlkit.logout_csrf: which logouts go at once, and the confirmation token."""

from __future__ import annotations

from samlkit.logout_csrf import confirm_page, confirmation_token, from_own_site


def test_only_the_sites_own_page_or_the_person_logs_out_at_once() -> None:
    assert from_own_site({"Sec-Fetch-Site": "same-origin"}) and from_own_site({"Sec-Fetch-Site": "none"})
    for other in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {}):
        assert not from_own_site(other)


def test_the_token_is_per_session_and_per_purpose() -> None:
    a = confirmation_token("session-a", b"idp")
    assert len(a) == 32 and a == confirmation_token("session-a", b"idp")
    assert a != confirmation_token("session-b", b"idp") and a != confirmation_token("session-a", b"sp")


def test_the_confirmation_page_escapes_what_it_is_given() -> None:
    html = confirm_page("/logout", "tok", "Log out of <b>x</b>?", "Mock IdP")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and 'name="csrf" value="tok"' in html and 'action="/logout"' in html
