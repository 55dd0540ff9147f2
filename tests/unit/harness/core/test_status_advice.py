"""Which side fixes an IdP error status, read from the summary's or the SP refusal's wording."""

from __future__ import annotations

from harness.core.status_advice import advice

P = "urn:oasis:names:tc:SAML:2.0:status:"


def test_advice_by_second_level_code() -> None:
    assert advice(f"{P}Responder / {P}NoPassive: no session")[0] == "SP"
    assert advice(f"The IdP answered {P}Requester ({P}InvalidNameIDPolicy): kerberos.")[0] == "SP"
    side, fix = advice(f"{P}Responder / {P}NoAuthnContext: asked for mfa")
    assert side == "IdP" and "second factor" in fix
    assert advice(f"{P}Responder") is None and advice("") is None
