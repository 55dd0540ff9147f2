"""harness.core.tls: the workspace's local CA and the servers' certificate."""

from __future__ import annotations

import ipaddress

from cryptography import x509

from harness.core import tls


def _cert(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_the_server_certificate_names_loopback_and_chains_to_the_ca(tmp_path) -> None:
    m = tls.ensure(tmp_path)
    ca, leaf = _cert(m.ca_cert), _cert(m.cert)
    leaf.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert m.key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "local-ca.key.pem").stat().st_mode & 0o777 == 0o600


def test_the_ca_is_kept_and_the_server_certificate_reissued_for_a_new_host(tmp_path) -> None:
    first = tls.ensure(tmp_path)
    ca, leaf = first.ca_cert.read_bytes(), first.cert.read_bytes()
    again = tls.ensure(tmp_path)
    assert again.cert.read_bytes() == leaf and again.ca_cert.read_bytes() == ca  # nothing to do
    other = tls.ensure(tmp_path, ("192.0.2.7", "0.0.0.0"))
    assert other.ca_cert.read_bytes() == ca  # the CA a tester trusted stays
    new = _cert(other.cert)
    assert other.cert.read_bytes() != leaf
    san = new.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("192.0.2.7") in san.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("0.0.0.0") not in san.get_values_for_type(x509.IPAddress)


def test_a_damaged_server_key_is_replaced(tmp_path) -> None:
    m = tls.ensure(tmp_path)
    m.key.write_text("not a key")
    again = tls.ensure(tmp_path)
    assert b"PRIVATE KEY" in again.key.read_bytes()
    _cert(again.cert).verify_directly_issued_by(_cert(again.ca_cert))


def test_trust_instructions_name_the_ca_and_each_store(tmp_path) -> None:
    text = tls.trust_instructions(tmp_path / "local-ca.crt.pem")
    assert "update-ca-certificates" in text and "certutil -d sql:$HOME/.pki/nssdb -A" in text
    assert "Firefox" in text and str(tmp_path / "local-ca.crt.pem") in text


def test_current_reads_and_never_writes(tmp_path) -> None:
    assert tls.current(tmp_path) is None and list(tmp_path.iterdir()) == []
    made = tls.ensure(tmp_path)
    assert tls.current(tmp_path) == made
    assert tls.current(tmp_path, ("192.0.2.9",)) is None  # a host it does not name: not usable as is
