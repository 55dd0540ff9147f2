"""The servers' configuration from a workspace (harness.core.workspace_servers)."""

import pytest

from harness.core.workspace import IdPForSP, WorkspaceError, resolve
from harness.core.workspace_servers import server_configs


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


def test_both_configurations_or_the_error_of_the_one_that_cannot_be_built(demo):
    """The IdP alone could use this workspace (it names the SP's certificate itself); the SP cannot
    load its key pair: `server_configs` refuses, so a running harness keeps both as they were."""
    s = demo.idp_for_sps()[0]
    demo.save_idp_for_sp(IdPForSP(**{**s.__dict__, "sp_certificate": demo.keypair("sp-signing").cert_pem.decode()}))
    sp, idp = server_configs(demo, "http://s", "http://i")
    assert sp.base_url == "http://s" and idp.base_url == "http://i"
    (demo.keys_dir / "sp-signing.crt.pem").write_bytes(demo.keypair("idp-old").cert_pem)  # not the key's
    assert demo.idp_config("http://i", "http://s").entity_id  # the IdP's side alone builds
    with pytest.raises(WorkspaceError, match="does not match"):
        server_configs(demo, "http://s", "http://i")
