"""sp.refusal: every code the SP (and the samlkit checks it relays) can raise is documented, and
every refusal is a 4xx whatever status a caller asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import samlkit
import sp
from sp.refusal import CODES, STATUS, Refusal

CODE_PATTERNS = [
    r'Refusal\(\s*"([a-z0-9-]+)"',
    r'fail\(\s*"[^"]+",\s*"([a-z0-9-]+)"',
    r'SignatureProblem\(\s*"([a-z0-9-]+)"',
    r'UnsafeXML\(\s*"([a-z0-9-]+)"',
]


def _raised_codes() -> set[str]:
    found: set[str] = set()
    for package in (sp, samlkit):
        for path in Path(package.__file__).parent.glob("*.py"):
            text = path.read_text()
            for pattern in CODE_PATTERNS:
                found.update(re.findall(pattern, text))
    return found


def test_the_scan_finds_codes() -> None:
    codes = _raised_codes()
    assert {"signature-invalid", "replayed", "doctype-forbidden", "unsolicited-not-allowed"} <= codes


def test_every_raised_code_is_documented() -> None:
    missing = sorted(_raised_codes() - set(CODES))
    assert not missing, f"codes raised but not in sp.refusal.CODES: {missing}"


def test_codes_are_stable_kebab_case() -> None:
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in CODES)


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


def test_all_defaults_are_4xx() -> None:
    assert all(400 <= Refusal(c).status < 500 for c in CODES)
    assert all(400 <= s < 500 for s in STATUS.values())


@pytest.mark.parametrize("asked", [200, 302, 500, 502, 600, 0, -1])
def test_a_refusal_is_never_anything_but_4xx(asked: int) -> None:
    r = Refusal("bad-request", "x", asked)
    assert r.status == 400


def test_explicit_4xx_is_kept() -> None:
    assert Refusal("bad-request", "x", 409).status == 409
    assert Refusal("bad-request", "x", 405).status == 405


def test_message_defaults_to_the_documented_sentence() -> None:
    r = Refusal("replayed")
    assert r.message == CODES["replayed"]
    assert str(r) == f"replayed: {CODES['replayed']}"
    assert Refusal("some-new-code").message == "some-new-code"
