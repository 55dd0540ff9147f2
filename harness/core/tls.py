"""A local certificate authority and the servers' certificate, for serving both sides over HTTPS.

Cloud IdPs insist on an https ACS. The harness makes its own CA once per workspace and signs a
server certificate for the loopback names (127.0.0.1, ::1, localhost, and the bound host) with
it; a tester trusts the CA once (system store or browser) and every later certificate follows.
Keys are written owner-only (0600), like every key of the workspace.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.core.certs import CertError, KeyPair, _new_key, load_keypair, save_keypair

CA_NAME, SERVER_NAME = "local-ca", "server"
LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
CA_DAYS, SERVER_DAYS = 3650, 397
TRUST_NICKNAME = "SAML harness local CA"


@dataclass(frozen=True)
class TLSMaterial:
    ca_cert: Path  # what browsers and the scripted browser trust
    cert: Path  # the servers' certificate
    key: Path  # its private key (0600)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca(common_name: str = "SAML harness local CA") -> KeyPair:
    """A CA that may sign server certificates only (path length 0), EC P-256, ten years."""
    key = _new_key("ec", 256)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM))


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def issue_server_cert(ca: KeyPair, names: list[str]) -> KeyPair:
    """A server certificate for `names` (IP addresses and host names), signed by `ca`."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    key = _new_key("ec", 256)
    now = datetime.now(UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM))


def _still_good(server: KeyPair, ca: KeyPair, names: list[str]) -> bool:
    """Signed by this CA, valid for a week more, and naming every host we serve."""
    cert = x509.load_pem_x509_certificate(server.cert_pem)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    if cert.issuer != ca_cert.subject or cert.not_valid_after_utc < datetime.now(UTC) + timedelta(days=7):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound, x509.InvalidSignature):
        return False
    have = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
    return all(str(ipaddress.ip_address(n)) in have if _is_ip(n) else n in have for n in names)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _names(extra_hosts: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys([*LOOPBACK_NAMES, *(h for h in extra_hosts if h and h not in ("0.0.0.0", "::"))]))


def _material(directory: Path) -> TLSMaterial:
    return TLSMaterial(
        ca_cert=directory / f"{CA_NAME}.crt.pem",
        cert=directory / f"{SERVER_NAME}.crt.pem",
        key=directory / f"{SERVER_NAME}.key.pem",
    )


def current(directory: Path, extra_hosts: tuple[str, ...] = ()) -> TLSMaterial | None:
    """The material in `directory` if it serves these hosts as it is (nothing is written)."""
    directory = Path(directory)
    try:
        ca = load_keypair(directory, CA_NAME)
        good = _still_good(load_keypair(directory, SERVER_NAME), ca, _names(extra_hosts))
    except CertError:
        return None
    return _material(directory) if good else None


def ensure(directory: Path, extra_hosts: tuple[str, ...] = ()) -> TLSMaterial:
    """The CA and server certificate in `directory`, made (or the server's renewed) when needed."""
    directory = Path(directory)
    names = _names(extra_hosts)
    try:
        ca = load_keypair(directory, CA_NAME)
    except CertError:
        ca = make_ca()
        save_keypair(ca, directory, CA_NAME)
    try:
        fresh = _still_good(load_keypair(directory, SERVER_NAME), ca, names)
    except CertError:
        fresh = False
    if not fresh:
        save_keypair(issue_server_cert(ca, names), directory, SERVER_NAME)
    return _material(directory)


def trust_instructions(ca_cert: Path) -> str:
    """How to make browsers and the system accept the harness's certificates (and undo it)."""
    ca = str(ca_cert)
    return "\n".join(
        [
            f"HTTPS: certificates are signed by the workspace's local CA {ca}",
            "Trust it once (and remove it the same way when done):",
            f"  system (Debian/Ubuntu): sudo cp {ca} /usr/local/share/ca-certificates/saml-harness-local-ca.crt"
            " && sudo update-ca-certificates",
            f'  Chromium/Chrome (Linux): certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "{TRUST_NICKNAME}" -i {ca}',
            f'  Firefox: certutil -d sql:<profile dir> -A -t "C,," -n "{TRUST_NICKNAME}" -i {ca}'
            "  (or Settings > Privacy & Security > View Certificates > Authorities > Import)",
            f'  remove: certutil -d sql:$HOME/.pki/nssdb -D -n "{TRUST_NICKNAME}"; for the system store delete the'
            " file and run sudo update-ca-certificates --fresh",
        ]
    )
