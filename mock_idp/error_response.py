"""A SAML error Response: how an IdP refuses an AuthnRequest it read but will not answer with an Assertion.

Status Requester / RequestDenied (or another second-level code) with a StatusMessage stating the
reason, signed like any Response, posted to the SP's ACS so the SP can show the IdP's reason.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from mock_idp.model import SPSettings
from mock_idp.response import NSMAP, instant, new_id
from samlkit import ns, xmldsig
from samlkit.codec import encode_post

STATUS_REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"


def error_response(
    *,
    idp_entity_id: str,
    sp: SPSettings,
    in_response_to: str | None,
    message: str,
    key_pem: bytes,
    cert_pem: bytes,
    status: str = ns.STATUS_REQUESTER,
    sub_status: str | None = STATUS_REQUEST_DENIED,
) -> str:
    """The signed error Response for `sp`, as the base64 value of SAMLResponse."""
    resp = etree.Element(ns.q(ns.SAMLP, "Response"), nsmap=NSMAP)
    resp.set("ID", new_id())
    resp.set("Version", "2.0")
    resp.set("IssueInstant", instant(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=sp.clock_offset)))
    resp.set("Destination", sp.acs_url)
    if in_response_to:
        resp.set("InResponseTo", in_response_to)
    etree.SubElement(resp, ns.q(ns.SAML, "Issuer")).text = idp_entity_id
    st = etree.SubElement(resp, ns.q(ns.SAMLP, "Status"))
    code = etree.SubElement(st, ns.q(ns.SAMLP, "StatusCode"), Value=status)
    if sub_status:
        etree.SubElement(code, ns.q(ns.SAMLP, "StatusCode"), Value=sub_status)
    etree.SubElement(st, ns.q(ns.SAMLP, "StatusMessage")).text = message
    if sp.sign != "none":
        xmldsig.sign(resp, sp.key_pem or key_pem, sp.cert_pem or cert_pem, hash_name=sp.sig_hash)
    return encode_post(etree.tostring(resp, xml_declaration=True, encoding="UTF-8"))
