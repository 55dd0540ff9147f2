"""A questionnaire's problems (harness.core.questionnaire_checks), each in words that say what to change."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta

from harness.core.certs import KeyPair, make_keypair
from harness.core.questionnaire import Questionnaire
from samlkit.metadata_xml import cert_b64

NOW = datetime.now(UTC)


@functools.cache
def kp(name: str = "idp") -> KeyPair:
    return make_keypair(f"{name}.example")


@functools.cache
def expired() -> KeyPair:
    return make_keypair("old.example", not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=2))


@functools.cache
def soon() -> KeyPair:
    return make_keypair("soon.example", not_before=NOW - timedelta(days=300), not_after=NOW + timedelta(days=10))


def good(**kw: str) -> Questionnaire:
    base = dict(
        idp_entity_id="urn:mace:incommon:example.com",
        idp_certificate=kp().cert_pem.decode(),
        idp_sso_url="https://idp.example.com/sso",
        subscription="abcd_ef",
        exit_url="https://www.example.com/",
    )
    base.update(kw)
    return Questionnaire(**base)


def messages(q: Questionnaire) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in q.validate():
        out.setdefault(p.field, []).append((p.level, p.message))
    return out


# -- validation ------------------------------------------------------------------------------


def test_a_complete_questionnaire_has_no_problem() -> None:
    assert good().validate() == []


def test_each_field_is_checked_with_a_clear_message() -> None:
    q = Questionnaire(
        idp_entity_id="",
        idp_certificate="not a certificate",
        idp_sso_url="ftp://idp.example.com/sso",
        subscription="",
        exit_url="javascript:alert(1)",
    )
    m = messages(q)
    assert m["idp_entity_id"][0][1].startswith("is empty")
    assert "does not parse" in m["idp_certificate"][0][1]
    assert "is not an http(s) URL" in m["idp_sso_url"][0][1]
    assert "primary contact" in m["subscription"][0][1]
    assert "is not an http(s) URL" in m["exit_url"][0][1]
    assert all(level == "error" for v in m.values() for level, _ in v)


def test_an_expired_certificate_is_an_error_naming_the_date() -> None:
    m = messages(good(idp_certificate=expired().cert_pem.decode()))
    level, text = m["idp_certificate"][0]
    assert level == "error" and text.startswith("expired on ") and (NOW - timedelta(days=2)).strftime("%Y") in text


def test_a_certificate_expiring_within_30_days_is_a_warning() -> None:
    q = good(idp_certificate=soon().cert_pem.decode())
    m = messages(q)
    level, text = m["idp_certificate"][0]
    assert level == "warning"
    assert re.search(r"^expires on \S+, in (9|10) days", text)
    assert q.errors() == []


def test_a_not_yet_valid_certificate_is_an_error() -> None:
    future = make_keypair("later.example", not_before=NOW + timedelta(days=3), not_after=NOW + timedelta(days=300))
    assert "is not valid before" in messages(good(idp_certificate=future.cert_pem.decode()))["idp_certificate"][0][1]


def test_a_private_key_is_refused_with_advice() -> None:
    text = messages(good(idp_certificate=kp().key_pem.decode()))["idp_certificate"][0][1]
    assert "private key" in text and "replace" in text


def test_a_bare_base64_certificate_as_in_metadata_is_accepted() -> None:
    assert good(idp_certificate=cert_b64(kp().cert_pem)).validate() == []


def test_entity_id_with_spaces_and_urls_without_host() -> None:
    m = messages(good(idp_entity_id=" urn:x ", idp_sso_url="https:///sso", exit_url="https://x.example/a b"))
    assert "leading or trailing spaces" in m["idp_entity_id"][0][1]
    assert "no host" in m["idp_sso_url"][0][1]
    assert "spaces" in m["exit_url"][0][1]


def test_plain_http_is_a_warning_except_on_loopback_and_placeholders_are_fine() -> None:
    assert messages(good(idp_sso_url="http://idp.example.com/sso"))["idp_sso_url"][0][0] == "warning"
    assert good(idp_sso_url="http://127.0.0.1:8444/sso").validate() == []
    assert good(idp_sso_url="{mock_idp}/sso", exit_url="{mock_idp}/").validate() == []
