"""Certificate cloning, as SAML Raider does it: the same subject, issuer, serial number, validity and
extensions as a certificate the SP trusts, but a new key. A careless SP that compares names or
serials instead of keys accepts the clone; a safe one refuses it (the signature does not verify
with the trusted key)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness.core.certs import CertError, KeyPair, normalize_cert_pem
from harness.core.workbench.message import WorkbenchError

_KEY_IDS = (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)


def _new_key_like(public) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if isinstance(public, rsa.RSAPublicKey):
        return rsa.generate_private_key(public_exponent=65537, key_size=public.key_size)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return ec.generate_private_key(public.curve)
    raise WorkbenchError(f"cannot clone a certificate with a {type(public).__name__} key (RSA and EC only)")


def clone_certificate(cert_pem: bytes | str) -> KeyPair:
    """A new key pair whose certificate copies `cert_pem` in everything but the key."""
    try:
        original = x509.load_pem_x509_certificate(normalize_cert_pem(cert_pem))
    except (CertError, ValueError) as err:
        raise WorkbenchError(f"the certificate to clone does not parse: {err}") from err
    key = _new_key_like(original.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(original.subject)
        .issuer_name(original.issuer)
        .public_key(key.public_key())
        .serial_number(original.serial_number)
        .not_valid_before(original.not_valid_before_utc)
        .not_valid_after(original.not_valid_after_utc)
    )
    for ext in original.extensions:
        if isinstance(ext.value, _KEY_IDS):
            continue
        builder = builder.add_extension(ext.value, ext.critical)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM))
