"""Tests for harness.core.certs: key pairs, certificate summaries, files, rotation."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.core import certs
from harness.core.certs import CertError, CertInfo, KeyPair

NOW = datetime.now(UTC)
FP_RE = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


@pytest.fixture(scope="module")
def rsa_made() -> tuple[KeyPair, datetime]:
    """The key pair and when it was made (the suite may reach this module minutes after import)."""
    return certs.make_keypair("sp.example.test", organization="Acme QA"), datetime.now(UTC)


@pytest.fixture(scope="module")
def rsa_kp(rsa_made: tuple[KeyPair, datetime]) -> KeyPair:
    return rsa_made[0]


@pytest.fixture(scope="module")
def ec_kp() -> KeyPair:
    return certs.make_keypair("idp.example.test", kind="ec")


def _body(kp: KeyPair) -> str:
    return "".join(kp.cert_pem.decode().splitlines()[1:-1])


# --- making keys ----------------------------------------------------------------------------


def test_rsa_defaults(rsa_kp, rsa_made):
    assert rsa_kp.algorithm == "RSA-2048"
    assert rsa_kp.common_name == "sp.example.test"
    assert rsa_kp.subject == "CN=sp.example.test,O=Acme QA"
    assert rsa_kp.status() == "valid"
    assert rsa_kp.not_before.tzinfo is not None and rsa_kp.not_after.tzinfo is not None
    assert rsa_kp.not_after - rsa_kp.not_before == timedelta(days=730)
    assert abs(rsa_kp.not_before - rsa_made[1]) < timedelta(minutes=5)
    assert rsa_kp.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_certificate_is_self_signed_with_sha256(rsa_kp):
    cert = x509.load_pem_x509_certificate(rsa_kp.cert_pem)
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)


def test_ec_is_p256(ec_kp):
    assert ec_kp.algorithm == "EC P-256"
    assert ec_kp.subject == "CN=idp.example.test"


@pytest.mark.parametrize("bits", [3072, 4096])
def test_larger_rsa_sizes(bits):
    # Each size is generated exactly once; 4096 is the slow one.
    assert certs.make_keypair("big", bits=bits).algorithm == f"RSA-{bits}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bits": 1024}, "RSA key size must be one of 2048, 3072, 4096"),
        ({"kind": "dsa"}, "key kind must be one of rsa, ec"),
        ({"kind": "ec", "bits": 384}, "EC keys are P-256 only"),
        ({"days": 0}, "days must be positive"),
        ({"not_before": NOW, "not_after": NOW - timedelta(days=1)}, "must be later than not_before"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        certs.make_keypair("x", **kwargs)


def test_expired_window():
    kp = certs.make_keypair("old", kind="ec", not_after=NOW - timedelta(days=10), days=100)
    assert kp.status() == "expired"
    assert kp.not_after - kp.not_before == timedelta(days=100)


def test_not_yet_valid_window():
    start = NOW + timedelta(days=5)
    kp = certs.make_keypair("future", kind="ec", not_before=start, days=30)
    assert kp.status() == "not-yet-valid"
    assert kp.not_before == start.replace(microsecond=0)


def test_naive_datetimes_are_utc():
    kp = certs.make_keypair("naive", kind="ec", not_before=datetime(2020, 1, 1), not_after=datetime(2021, 1, 1))
    assert kp.not_before == datetime(2020, 1, 1, tzinfo=UTC)
    assert kp.status() == "expired"


def test_expires_soon():
    kp = certs.make_keypair("soon", kind="ec", days=10)
    assert kp.status() == "expires-soon"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(days=-1), "not-yet-valid"),
        (timedelta(days=1), "valid"),
        (timedelta(days=700), "expires-soon"),  # 30 days left of 730
        (timedelta(days=731), "expired"),
    ],
)
def test_status_at_a_fixed_clock(rsa_kp, offset, expected):
    assert rsa_kp.status(now=rsa_kp.not_before + offset) == expected


def test_fingerprint_formats(rsa_kp):
    assert FP_RE.match(rsa_kp.fingerprint_sha256)
    assert rsa_kp.fingerprint_hex == rsa_kp.fingerprint_sha256.replace(":", "").lower()
    assert len(rsa_kp.fingerprint_hex) == 64
    assert certs.fingerprint_sha256(rsa_kp.cert_pem) == rsa_kp.fingerprint_sha256


# --- reading certificates -------------------------------------------------------------------


def test_describe_cert(rsa_kp):
    info = certs.describe_cert(rsa_kp.cert_pem)
    assert isinstance(info, CertInfo)
    assert info.subject == info.issuer == rsa_kp.subject
    assert info.serial > 0
    assert (info.not_before, info.not_after) == (rsa_kp.not_before, rsa_kp.not_after)
    assert info.fingerprint_sha256 == rsa_kp.fingerprint_sha256
    assert info.algorithm == "RSA-2048"
    assert info.status == "valid"
    assert certs.describe_cert(rsa_kp.cert_pem, now=rsa_kp.not_after + timedelta(1)).status == "expired"


def test_pem_with_surrounding_whitespace(ec_kp):
    text = "\n\n   " + ec_kp.cert_pem.decode() + "  \n"
    assert certs.normalize_cert_pem(text) == ec_kp.cert_pem
    assert certs.describe_cert(text).fingerprint_sha256 == ec_kp.fingerprint_sha256


def test_bare_base64_as_in_metadata(ec_kp):
    body = _body(ec_kp)
    wrapped = "\n        ".join(body[i : i + 76] for i in range(0, len(body), 76))
    for text in (body, "\n        " + wrapped + "\n      ", body.encode()):
        assert certs.normalize_cert_pem(text) == ec_kp.cert_pem
    assert certs.describe_cert(wrapped).fingerprint_sha256 == ec_kp.fingerprint_sha256


def test_cert_body_b64_is_one_line_and_round_trips(rsa_kp):
    body = certs.cert_body_b64(rsa_kp.cert_pem)
    assert body == _body(rsa_kp)
    assert "\n" not in body
    assert certs.normalize_cert_pem(body) == rsa_kp.cert_pem


@pytest.mark.parametrize(
    "garbage",
    [
        "not a certificate at all!",
        "",
        "   \n ",
        "QUJDRA==",  # valid base64, not DER
        b"\xff\xfe binary",
        "-----BEGIN CERTIFICATE-----\nQUJD\n",
    ],
)
def test_garbage_raises_cert_error(garbage):
    with pytest.raises(CertError, match="the certificate does not parse"):
        certs.describe_cert(garbage)


def test_private_key_is_not_a_certificate(rsa_kp):
    with pytest.raises(CertError, match="PRIVATE KEY block, not a CERTIFICATE"):
        certs.describe_cert(rsa_kp.key_pem)


def test_cert_error_is_a_value_error():
    assert issubclass(CertError, ValueError)


def test_format_cert(rsa_kp):
    text = certs.format_cert(certs.describe_cert(rsa_kp.cert_pem))
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Subject", "Valid", "Algorithm", "SHA-256"]
    assert len({len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines}) == 1  # values aligned
    assert "(valid)" in lines[1] and "UTC" in lines[1]
    assert lines[0].endswith("CN=sp.example.test,O=Acme QA")
    assert lines[3].endswith(rsa_kp.fingerprint_sha256)


def test_format_cert_shows_issuer_when_not_self_signed(rsa_kp):
    info = certs.describe_cert(rsa_kp.cert_pem)
    info.issuer = "CN=Some CA"
    assert "Issuer:    CN=Some CA" in certs.format_cert(info)


# --- files ----------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path, rsa_kp):
    key_path, cert_path = certs.save_keypair(rsa_kp, tmp_path / "keys", "sp")
    assert (key_path.name, cert_path.name) == ("sp.key.pem", "sp.crt.pem")
    assert certs.load_keypair(tmp_path / "keys", "sp") == rsa_kp
    assert certs.load_cert(cert_path) == rsa_kp.cert_pem
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["sp.crt.pem", "sp.key.pem"]  # no temp files


def test_key_file_is_owner_only_even_with_lax_umask(tmp_path, ec_kp):
    old = os.umask(0)
    try:
        key_path, cert_path = certs.save_keypair(ec_kp, tmp_path, "idp")
    finally:
        os.umask(old)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert_path.stat().st_mode) == 0o644


def test_save_overwrites_existing(tmp_path, rsa_kp, ec_kp):
    certs.save_keypair(rsa_kp, tmp_path, "k")
    certs.save_keypair(ec_kp, tmp_path, "k")
    assert certs.load_keypair(tmp_path, "k") == ec_kp


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(CertError, match=re.escape(str(tmp_path / "nope.key.pem"))):
        certs.load_keypair(tmp_path, "nope")
    with pytest.raises(CertError, match=re.escape(str(tmp_path / "x.crt.pem"))):
        certs.load_cert(tmp_path / "x.crt.pem")


def test_load_cert_accepts_bare_base64_file(tmp_path, ec_kp):
    path = tmp_path / "meta.txt"
    path.write_text("  " + _body(ec_kp) + "\n")
    assert certs.load_cert(path) == ec_kp.cert_pem


def test_load_cert_garbage_names_the_path(tmp_path):
    path = tmp_path / "bad.crt.pem"
    path.write_text("garbage!")
    with pytest.raises(CertError, match=f"{re.escape(str(path))}: the certificate does not parse"):
        certs.load_cert(path)


def test_mismatched_key_is_refused(tmp_path, rsa_kp, ec_kp):
    certs.save_keypair(KeyPair(key_pem=ec_kp.key_pem, cert_pem=rsa_kp.cert_pem), tmp_path, "mixed")
    with pytest.raises(CertError, match="does not match the certificate"):
        certs.load_keypair(tmp_path, "mixed")


@pytest.mark.parametrize("name", ["", "..", "a/b"])
def test_bad_names_are_refused(tmp_path, rsa_kp, name):
    with pytest.raises(ValueError, match="plain file name"):
        certs.save_keypair(rsa_kp, tmp_path, name)


# --- rotation -------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["rsa_kp", "ec_kp"])
def test_rotate_keeps_subject_changes_fingerprint(request, fixture):
    kp = request.getfixturevalue(fixture)
    new = certs.rotate(kp, days=90)
    assert new.subject == kp.subject
    assert new.algorithm == kp.algorithm
    assert new.fingerprint_sha256 != kp.fingerprint_sha256
    assert new.key_pem != kp.key_pem
    assert new.not_after - new.not_before == timedelta(days=90)
    assert new.status() == "valid"
    key = serialization.load_pem_private_key(new.key_pem, password=None)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki) == x509.load_pem_x509_certificate(
        new.cert_pem
    ).public_key().public_bytes(*spki)
