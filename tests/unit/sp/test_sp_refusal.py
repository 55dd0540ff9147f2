"""sp.refusal / sp.contract.reasons: every code the SP (and the samlkit checks it relays) can
refuse with is a documented `Reason`, README lists exactly those, and every refusal is a 4xx
whatever status a caller asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_idp.scenarios import CATALOGUE
from samlkit import safexml, xmldsig
from sp.contract import Reason
from sp.refusal import Refusal

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_reason_has_a_sentence_and_a_4xx() -> None:
    for r in Reason:
        assert r.doc.endswith(".") and len(r.doc) > 10, r
        assert 400 <= r.status < 500, r


def test_codes_are_stable_kebab_case() -> None:
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in Reason)


def test_the_codes_samlkit_raises_are_reasons() -> None:
    assert xmldsig.CODES | safexml.CODES <= set(Reason)


def test_samlkit_refuses_an_undeclared_code() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        xmldsig.SignatureProblem("signature-bogus", "x")
    with pytest.raises(ValueError, match="undeclared"):
        safexml.UnsafeXML("xml-bogus", "x")


def test_every_scenario_expects_codes_the_sp_has() -> None:
    expected = {code for s in CATALOGUE for code in s.expect}
    assert expected and expected <= set(Reason), sorted(expected - set(Reason))


def test_readme_lists_exactly_the_reasons_in_order() -> None:
    text = README.read_text()
    start = text.index("## What the SP refuses")
    section = text[start : text.index("\n## ", start + 1)]
    line = next(line for line in section.splitlines() if line.startswith("`message-missing`"))
    listed = re.findall(r"`([a-z0-9-]+)`", line)
    assert listed == [r.value for r in Reason]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("not-found", 404),
        ("forbidden", 403),
        ("unknown-subscription", 404),
        ("message-too-large", 413),
        ("csrf", 403),
        ("api-auth-required", 401),
        ("api-saml-session-refused", 401),
        ("signature-invalid", 403),
        ("signature-missing", 403),
        ("replayed", 403),
        ("audience-mismatch", 400),
        ("user-not-found", 400),
    ],
)
def test_default_status(code: str, status: int) -> None:
    assert Refusal(code).status == status


@pytest.mark.parametrize("asked", [200, 302, 500, 502, 600, 0, -1])
def test_a_refusal_is_never_anything_but_4xx(asked: int) -> None:
    r = Refusal(Reason.BAD_REQUEST, "x", asked)
    assert r.status == 400


def test_explicit_4xx_is_kept() -> None:
    assert Refusal(Reason.BAD_REQUEST, "x", 409).status == 409
    assert Refusal(Reason.BAD_REQUEST, "x", 405).status == 405


def test_message_defaults_to_the_documented_sentence() -> None:
    r = Refusal(Reason.REPLAYED)
    assert r.message == Reason.REPLAYED.doc
    assert str(r) == f"replayed: {Reason.REPLAYED.doc}"


def test_an_unknown_code_is_no_refusal() -> None:
    with pytest.raises(ValueError):
        Refusal("some-new-code")
