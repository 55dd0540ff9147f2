"""Keys and self-signed certificates for the SP and the mock IdP (no Qt, no pysaml2).

A tester needs to make certificates on purpose, including broken ones (expired, not yet
valid), to see how a peer reacts; to read a certificate pasted from SAML metadata, which is
a bare base64 body; and to understand at a glance which key is which, hence fingerprints and
a short human-readable summary.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from harness.core.durable import atomic_write
from samlkit import codec

RSA_SIZES = (2048, 3072, 4096)
KINDS = ("rsa", "ec")
EXPIRES_SOON = timedelta(days=30)

_EC_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


class CertError(ValueError):
    """A certificate or key the harness cannot use; the message is meant for a tester."""


# --- reading certificates -------------------------------------------------------------------


def normalize_cert_pem(text: bytes | str) -> bytes:
    """Return canonical PEM for a certificate given as PEM or as a bare base64 body.

    SAML metadata carries certificates as bare, often indented and wrapped, base64 in
    X509Certificate elements; people paste either form, so both are accepted.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise CertError("the certificate does not parse: it is not PEM or base64 text") from None
    blocks = _PEM_BLOCK.findall(text)
    if blocks:
        bodies = [body for label, body in blocks if label == "CERTIFICATE"]
        if not bodies:
            raise CertError(f"the certificate does not parse: found a {blocks[0][0]} block, not a CERTIFICATE")
        body = bodies[0]
    elif "-----BEGIN" in text:
        raise CertError("the certificate does not parse: the PEM block has no matching END line")
    else:
        body = text
    if not body.strip():
        raise CertError("the certificate does not parse: it is empty")
    try:
        der = codec.b64decode_strict(body)
    except codec.DecodeError:
        raise CertError("the certificate does not parse: the body is not valid base64") from None
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def _load(cert_pem: bytes | str) -> x509.Certificate:
    pem = normalize_cert_pem(cert_pem)
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise CertError(f"the certificate does not parse: {exc}") from None


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {_EC_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA-{key.key_size}"
    return type(key).__name__


def _status(not_before: datetime, not_after: datetime, now: datetime | None) -> str:
    now = _aware(now) if now is not None else datetime.now(UTC)
    if now < not_before:
        return "not-yet-valid"
    if now > not_after:
        return "expired"
    if not_after - now <= EXPIRES_SOON:
        return "expires-soon"
    return "valid"


def _aware(moment: datetime) -> datetime:
    """Read a naive datetime as UTC: certificates only speak UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fingerprint_sha256(cert_pem: bytes | str) -> str:
    """SHA-256 of the DER, as "7A:91:...": the form browsers and IdP consoles display."""
    return _fingerprint(_load(cert_pem))


def colon_fp(hex_digest: str, n: int = 8) -> str:
    """'7A:91:3B:…' from a hex fingerprint (either case, with or without colons)."""
    compact = hex_digest.replace(":", "").upper()
    head = ":".join(compact[i : i + 2] for i in range(0, min(len(compact), n * 2), 2))
    return head + (":…" if len(compact) > n * 2 else "")


def cert_body_b64(cert_pem: bytes | str) -> str:
    """The DER as one base64 line, as metadata X509Certificate and KeyInfo elements want it."""
    return base64.b64encode(_load(cert_pem).public_bytes(serialization.Encoding.DER)).decode("ascii")


@dataclass
class CertInfo:
    """What a tester wants to know about a certificate, without its key."""

    subject: str
    issuer: str
    serial: int
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    algorithm: str
    status: str


def describe_cert(cert_pem: bytes | str, *, now: datetime | None = None) -> CertInfo:
    """Summarise a certificate (PEM or bare base64); `now` fixes the clock for the status."""
    cert = _load(cert_pem)
    nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        not_before=nb,
        not_after=na,
        fingerprint_sha256=_fingerprint(cert),
        algorithm=_algorithm(cert),
        status=_status(nb, na, now),
    )


def format_cert(info: CertInfo) -> str:
    """A few aligned lines for the CLI and logs; the issuer shows only when not self-signed."""
    rows = [("Subject", info.subject)]
    if info.issuer != info.subject:
        rows.append(("Issuer", info.issuer))
    stamp = "%Y-%m-%d %H:%M:%S UTC"
    validity = f"{info.not_before.strftime(stamp)} to {info.not_after.strftime(stamp)} ({info.status})"
    rows += [("Valid", validity), ("Algorithm", info.algorithm), ("SHA-256", info.fingerprint_sha256)]
    width = max(len(label) for label, _ in rows) + 1
    return "\n".join(f"{label + ':':<{width}} {value}" for label, value in rows)


# --- key pairs ------------------------------------------------------------------------------


@dataclass
class KeyPair:
    """A private key (PKCS#8 PEM) and its self-signed certificate (PEM)."""

    key_pem: bytes
    cert_pem: bytes

    @property
    def _cert(self) -> x509.Certificate:
        return _load(self.cert_pem)

    @property
    def subject(self) -> str:
        return self._cert.subject.rfc4514_string()

    @property
    def common_name(self) -> str:
        attrs = self._cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""

    @property
    def not_before(self) -> datetime:
        return self._cert.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self._cert.not_valid_after_utc

    @property
    def fingerprint_sha256(self) -> str:
        return _fingerprint(self._cert)

    @property
    def fingerprint_hex(self) -> str:
        """Lowercase hex without colons: safe in file names and URLs."""
        return self._cert.fingerprint(hashes.SHA256()).hex()

    @property
    def algorithm(self) -> str:
        return _algorithm(self._cert)

    def status(self, now: datetime | None = None) -> str:
        """One of valid, expired, not-yet-valid, expires-soon (30 days or less); `now` fixes the clock."""
        cert = self._cert
        return _status(cert.not_valid_before_utc, cert.not_valid_after_utc, now)


def _new_key(kind: str, bits: int) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    kind = kind.lower()
    if kind == "rsa":
        if bits not in RSA_SIZES:
            raise ValueError(f"RSA key size must be one of {', '.join(map(str, RSA_SIZES))}, not {bits}")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == "ec":
        # bits defaults to 2048 for RSA; for EC it is ignored unless someone asks for another curve.
        if bits not in (2048, 256):
            raise ValueError(f"EC keys are P-256 only; leave bits unset or use 256, not {bits}")
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key kind must be one of {', '.join(KINDS)}, not {kind!r}")


def _window(days: int, not_before: datetime | None, not_after: datetime | None) -> tuple[datetime, datetime]:
    """Work out the validity window; a lone past not_after gets a window ending then (expired)."""
    if days <= 0:
        raise ValueError(f"days must be positive, not {days}")
    now = datetime.now(UTC).replace(microsecond=0)
    nb = _aware(not_before).replace(microsecond=0) if not_before is not None else None
    na = _aware(not_after).replace(microsecond=0) if not_after is not None else None
    if nb is None:
        nb = now if na is None or na > now else na - timedelta(days=days)
    if na is None:
        na = nb + timedelta(days=days)
    if na <= nb:
        raise ValueError(f"not_after ({na.isoformat()}) must be later than not_before ({nb.isoformat()})")
    return nb, na


def _self_signed(name: x509.Name, key, not_before: datetime, not_after: datetime) -> KeyPair:
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM))


def make_keypair(
    common_name: str,
    *,
    kind: str = "rsa",
    bits: int = 2048,
    days: int = 730,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    organization: str | None = None,
) -> KeyPair:
    """Make a key and a self-signed SHA-256 certificate.

    The window may lie wholly in the past or the future so that testers can check how a peer
    treats expired and not-yet-valid certificates. Naive datetimes are read as UTC.
    """
    if not common_name:
        raise ValueError("common_name must not be empty")
    nb, na = _window(days, not_before, not_after)
    key = _new_key(kind, bits)
    attrs = []
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return _self_signed(x509.Name(attrs), key, nb, na)


def rotate(kp: KeyPair, days: int = 730) -> KeyPair:
    """A fresh key of the same kind and size under the same subject, valid from now.

    The subject stays so that configurations naming it keep working; the fingerprint changes,
    which is what a peer must be told about.
    """
    cert = _load(kp.cert_pem)
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        key = _new_key("rsa", public.key_size)
    elif isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        key = _new_key("ec", 256)
    else:
        raise CertError(f"cannot rotate a {_algorithm(cert)} key: only RSA and EC P-256 are supported")
    nb, na = _window(days, None, None)
    return _self_signed(cert.subject, key, nb, na)


# --- files ----------------------------------------------------------------------------------


def _paths(directory: Path, name: str) -> tuple[Path, Path]:
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"key pair name must be a plain file name, not {name!r}")
    directory = Path(directory)
    return directory / f"{name}.key.pem", directory / f"{name}.crt.pem"


def save_keypair(kp: KeyPair, directory: Path, name: str, *, cert_mode: int = 0o644) -> tuple[Path, Path]:
    """Write NAME.key.pem (owner-only, 0600) and NAME.crt.pem (`cert_mode`: public outside a
    workspace, owner-only inside one); return their paths."""
    key_path, cert_path = _paths(directory, name)
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(key_path, kp.key_pem, 0o600)
    atomic_write(cert_path, kp.cert_pem, cert_mode)
    return key_path, cert_path


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CertError(f"no such file: {path}") from None
    except OSError as exc:
        raise CertError(f"cannot read {path}: {exc.strerror}") from None


def load_cert(path: Path) -> bytes:
    """Read a certificate file (PEM or bare base64) and return canonical PEM."""
    data = _read(path)
    try:
        pem = normalize_cert_pem(data)
        _load(pem)
    except CertError as exc:
        raise CertError(f"{path}: {exc}") from None
    return pem


def load_keypair(directory: Path, name: str) -> KeyPair:
    """Read NAME.key.pem and NAME.crt.pem, and refuse a key that does not match its certificate."""
    key_path, cert_path = _paths(directory, name)
    key_data = _read(key_path)
    cert_pem = load_cert(cert_path)
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except (ValueError, TypeError) as exc:
        raise CertError(f"{key_path}: the private key does not parse: {exc}") from None
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != _load(cert_pem).public_key().public_bytes(*spki):
        raise CertError(f"{key_path} does not match the certificate {cert_path}")
    return KeyPair(key_pem=key_data, cert_pem=cert_pem)
