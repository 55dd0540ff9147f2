"""The servers' configuration from a workspace (harness.core.workspace_servers)."""

from harness.core.workspace import IdPForSP, resolve


def test_placeholders_resolve_in_server_configs(demo):
    sp = demo.sp_config("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert sp.subscriptions[0].idp_sso_url == "http://127.0.0.1:2/sso"
    assert sp.acs_url == "http://127.0.0.1:1/IdM/saml2/"
    idp = demo.idp_config("http://127.0.0.1:2", "http://127.0.0.1:1")
    assert idp.sps[0].acs_url == "http://127.0.0.1:1/IdM/saml2/"
    assert resolve("{sp}/x {mock_idp}", "A", "B") == "A/x B"


def test_per_sp_signing_key_is_applied(demo):
    s = demo.idp_for_sps()[0]
    demo.save_idp_for_sp(IdPForSP(**{**s.__dict__, "signing_key": "idp-old"}))
    idp = demo.idp_config("http://i", "http://s")
    assert idp.sps[0].cert_pem == demo.keypair("idp-old").cert_pem


def test_a_broken_encryption_key_pair_leaves_the_servers_configurable(demo):
    """The SP then refuses encrypted assertions (no key) and the IdP has no certificate to encrypt to."""
    (demo.keys_dir / "sp-encryption-4711.key.pem").write_text("not a key")
    (served,) = demo.sp_config("http://sp", "http://idp").subscriptions
    assert served.encryption_key_pem == b"" and served.encryption_cert_pem == b""
    (demo.keys_dir / "sp-encryption-4711.crt.pem").write_text("not a certificate")
    assert demo.idp_config("http://idp", "http://sp").sps[0].encryption_cert_pem is None
