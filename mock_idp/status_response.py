"""A SAML error Response: the IdP's answer to a request it cannot satisfy (core §3.2.2.2).

No Assertion; a top-level StatusCode (Requester or Responder) with the precise second-level one
(NoPassive, InvalidNameIDPolicy, NoAuthnContext...) and a StatusMessage in words. It is signed
like the IdP signs for this SP (an error is worth authenticating too), unless it signs nothing.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from mock_idp.model import SPSettings
from mock_idp.response import NSMAP, instant, new_id
from samlkit import ns, xmldsig
from samlkit.codec import encode_post


def error_response(
    *,
    idp_entity_id: str,
    sp: SPSettings,
    in_response_to: str | None,
    top: str,
    sub_status: str,
    message: str,
    key_pem: bytes,
    cert_pem: bytes,
) -> str:
    """The base64 value of a signed error Response, ready for the HTTP-POST form."""
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=sp.clock_offset)
    resp = etree.Element(ns.q(ns.SAMLP, "Response"), nsmap=NSMAP)
    resp.set("ID", new_id())
    resp.set("Version", "2.0")
    resp.set("IssueInstant", instant(now))
    resp.set("Destination", sp.acs_url)
    if in_response_to:
        resp.set("InResponseTo", in_response_to)
    etree.SubElement(resp, ns.q(ns.SAML, "Issuer")).text = idp_entity_id
    status = etree.SubElement(resp, ns.q(ns.SAMLP, "Status"))
    code = etree.SubElement(status, ns.q(ns.SAMLP, "StatusCode"), Value=top)
    etree.SubElement(code, ns.q(ns.SAMLP, "StatusCode"), Value=sub_status)
    etree.SubElement(status, ns.q(ns.SAMLP, "StatusMessage")).text = message
    if sp.sign != "none":
        digest = sp.digest_hash or sp.sig_hash
        xmldsig.sign(resp, sp.key_pem or key_pem, sp.cert_pem or cert_pem, hash_name=sp.sig_hash, digest=digest)
    return encode_post(etree.tostring(resp, xml_declaration=True, encoding="UTF-8"))
