"""The mock IdP's metadata lists a rollover's other certificate beside its signing one."""

from __future__ import annotations

from saml_helpers import Keys

from mock_idp.metadata_rollover import with_other_certificate
from samlkit.metadata_xml import cert_b64, idp_metadata


def test_a_second_signing_key_descriptor(keys: Keys) -> None:
    md = idp_metadata(entity_id="urn:idp", sso_url="https://idp/sso", cert_pem=keys.idp.cert_pem)
    assert with_other_certificate(md, None) == md
    out = with_other_certificate(md, keys.ec.cert_pem)
    assert out.count('use="signing"') == 2
    assert out.index(cert_b64(keys.idp.cert_pem)) < out.index(cert_b64(keys.ec.cert_pem))
