from harness.core.cli import main


def test_make_list_show_rotate(tmp_path, capsys):
    ws = str(tmp_path / "ws")
    assert main(["--workspace", ws, "certs", "make", "new-idp", "--kind", "ec"]) == 0
    assert "EC P-256" in capsys.readouterr().out
    assert main(["--workspace", ws, "certs", "make", "new-idp"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["--workspace", ws, "certs", "make", "gone", "--expired"]) == 0
    capsys.readouterr()
    assert main(["--workspace", ws, "certs", "list"]) == 0
    out = capsys.readouterr().out
    assert "gone" in out and "expired" in out and "new-idp" in out
    assert main(["--workspace", ws, "certs", "show", "new-idp"]) == 0
    before = capsys.readouterr().out
    assert main(["--workspace", ws, "certs", "rotate", "new-idp"]) == 0
    after = capsys.readouterr().out
    assert before.split("SHA-256")[1] != after.split("SHA-256")[1]


def test_show_a_pem_file_and_garbage(tmp_path, capsys):
    ws = str(tmp_path / "ws")
    main(["--workspace", ws, "certs", "list"])
    capsys.readouterr()
    cert = tmp_path / "ws" / "keys" / "idp-signing.crt.pem"
    assert main(["certs", "show", str(cert)]) == 0
    assert "Demo Corp IdP 2026" in capsys.readouterr().out
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    assert main(["certs", "show", str(bad)]) == 2
    assert "does not parse" in capsys.readouterr().err
    assert main(["--workspace", ws, "certs", "show", "missing"]) == 2


def test_a_hostile_subject_reaches_the_terminal_as_escapes(tmp_path, capsys):
    """Every command's human output goes through the one filter (cli.main), not only decode's."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp\x1b[2J\x1b]8;;https://evil/\x07\u202eevil\r")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = tmp_path / "hostile.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert main(["certs", "show", str(pem)]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x07\u202e\r")
    assert "\\x1b[2J" in out and "\\u202e" in out
