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
