"""The LogoutRequest the mock IdP sends one session participant.

It names the session as the participant's Assertion did (NameID, Format, SessionIndex). An SP that
gets encrypted NameIDs, or encrypted Assertions and has an encryption certificate, gets a
saml:EncryptedID instead of the NameID in clear (SAML core §3.7.1: BaseID, NameID or EncryptedID),
encrypted before the message is signed so that the signature covers it, as in the Assertion.
"""

from __future__ import annotations

from lxml import etree

from mock_idp.model import SPSettings
from mock_idp.response import _encryption_cert
from mock_idp.sessions import Participant
from samlkit import logout, ns, xmlenc


def encrypts_name_id(sp: SPSettings) -> bool:
    """True when this SP never sees its NameID in clear from this IdP."""
    return sp.encrypt_name_id or (sp.encrypt_assertion and bool(sp.encryption_cert_pem))


def logout_request_for(issuer: str, sp: SPSettings, p: Participant) -> etree._Element:
    """The (unsigned) LogoutRequest for participant `p` at `sp`. Raises ValueError when the SP asks
    for encryption but no usable certificate is set for it."""
    root = logout.logout_request(
        issuer=issuer,
        destination=sp.slo_url,
        name_id=p.name_id,
        name_id_format=p.name_id_format,
        sp_name_qualifier=sp.entity_id,
        session_index=p.session_index,
    )
    if encrypts_name_id(sp):
        name_id = root.find(ns.q(ns.SAML, "NameID"))
        xmlenc.encrypt_name_id(name_id, _encryption_cert(sp), sp.encryption_data_alg, sp.encryption_key_alg)
    return root
