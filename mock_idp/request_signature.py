"""Signed AuthnRequests at the mock IdP: verify them against the SP's certificate, or say why not.

Runs before pysaml2 reads the request, so that an unsigned or badly signed AuthnRequest is
answered the way a real IdP answers it: a SAML error Response (Requester / RequestDenied) with
a StatusMessage stating the reason, posted back to the SP's ACS.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from mock_idp.model import IdPConfig, SPSettings
from samlkit import binding, codec, ns
from samlkit.safexml import UnsafeXML, parse
from samlkit.xmldsig import SignatureProblem


@dataclass
class SignatureRefusal:
    sp: SPSettings
    request_id: str
    reason: str


def _read(value: str, binding_name: str, root: etree._Element | None) -> tuple[str, str, bool] | None:
    """(ID, Issuer, has an enveloped Signature) of an AuthnRequest, or None when unreadable."""
    if root is None:
        try:
            xml = codec.decode_redirect(value) if binding_name == binding.REDIRECT else codec.decode_post(value)
            root = parse(xml)
        except (codec.DecodeError, UnsafeXML):
            return None  # the normal path refuses it with its precise reason
    if root.tag != ns.q(ns.SAMLP, "AuthnRequest"):
        return None
    issuer = root.find(ns.q(ns.SAML, "Issuer"))
    text = "".join(issuer.itertext()).strip() if issuer is not None else ""
    return root.get("ID") or "", text, root.find(ns.q(ns.DS, "Signature")) is not None


def check(
    config: IdPConfig, binding_name: str, value: str, raw_query: str, root: etree._Element | None = None
) -> SignatureRefusal | None:
    """A refusal when the SP's AuthnRequest must be signed and is not, or carries a signature that fails.

    `root`: the value already decoded and safely parsed, when the caller has it (read, not changed).
    """
    found = _read(value, binding_name, root)
    if found is None:
        return None
    request_id, issuer, enveloped = found
    sp = config.sp(issuer)
    if sp is None:
        return None
    redirect = binding_name == binding.REDIRECT
    signed = ("Signature=" in raw_query) if redirect else enveloped
    if not signed:
        if sp.want_authn_requests_signed:
            return SignatureRefusal(
                sp,
                request_id,
                f"the AuthnRequest is not signed, and this IdP requires signed AuthnRequests from {sp.entity_id}",
            )
        return None
    if not sp.sp_cert_pem:
        if sp.want_authn_requests_signed:
            return SignatureRefusal(
                sp, request_id, f"the IdP has no signing certificate for {sp.entity_id} to verify the AuthnRequest with"
            )
        return None
    try:
        xml = codec.decode_redirect(value) if redirect else codec.decode_post(value)
        msg = binding.Received(binding_name, "SAMLRequest", value, None, parse(xml), raw_query)
        binding.verify(msg, sp.sp_cert_pem)
    except SignatureProblem as p:
        return SignatureRefusal(sp, request_id, f"the AuthnRequest signature does not hold ({p.code}): {p.message}")
    return None
