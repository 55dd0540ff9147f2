"""The Redirect binding: deflated, with a query-string signature the inspector verifies."""

from __future__ import annotations

from harness.core.certs import make_keypair
from harness.core.inspect_message import inspect
from harness.core.workbench.binding import post_fields, redirect_url

REQUEST = (
    b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0" '
    b'IssueInstant="2026-01-01T00:00:00Z"/>'
)


def test_signed_redirect_url_verifies_and_decodes() -> None:
    for kind in ("rsa", "ec"):
        pair = make_keypair("sp", kind=kind)
        url = redirect_url("https://idp.example/sso?x=1", "SAMLRequest", REQUEST, "/r", signer=pair)
        assert url.startswith("https://idp.example/sso?x=1&SAMLRequest=")
        msg = inspect(url, pair.cert_pem)[0]
        assert msg.summary.kind == "AuthnRequest" and msg.relay_state == "/r"
        assert msg.signatures[-1].value_ok is True
        other = make_keypair("other", kind=kind)
        assert inspect(url, other.cert_pem)[0].signatures[-1].value_ok is False


def test_post_fields() -> None:
    assert set(post_fields("SAMLResponse", b"<r/>", None)) == {"SAMLResponse"}
    assert post_fields("SAMLResponse", b"<r/>", "/x")["RelayState"] == "/x"
