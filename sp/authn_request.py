"""Make the SP-initiated AuthnRequest and send it by HTTP-Redirect (signed in the query when the
subscription says so) or HTTP-POST (signed enveloped).

The vendor's AuthnRequest has one fixed shape, so it is built with lxml directly: the same
elements and attributes pysaml2's prepare_for_authenticate wrote (Issuer with the entity
Format, ProtocolBinding HTTP-POST, the ACS URL, Destination, and the subscription's ForceAuthn,
IsPassive, NameIDPolicy, RequestedAuthnContext), without building a pysaml2 client and its
object tree per login (~0.25 ms).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from lxml import etree

from samlkit import authn_context as ac
from samlkit import binding, codec, ns, redirect_sign
from samlkit.html import auto_post_form
from sp.model import SPConfig, Subscription
from sp.request_options import nameid_policy

_NSMAP = {"samlp": ns.SAMLP, "saml": ns.SAML}
_ENTITY_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"


@dataclass
class Redirect:
    request_id: str
    location: str  # Redirect: the whole URL; POST: the IdP's SSO URL
    saml_request: str  # the value as it travels (deflated base64, or base64 for POST)
    binding: str = binding.REDIRECT
    form_html: str = ""  # POST: the self-posting form


def new_request_id() -> str:
    """160 random bits (SAML core §1.3.4), prefixed to be an NCName."""
    return "id-" + secrets.token_hex(20)


def build(config: SPConfig, sub: Subscription, request_id: str, now: float | None = None) -> etree._Element:
    """The AuthnRequest element for this subscription's options."""
    root = etree.Element(ns.q(ns.SAMLP, "AuthnRequest"), nsmap=_NSMAP)
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))
    root.set("Destination", sub.idp_sso_url)
    if sub.request_force_authn:
        root.set("ForceAuthn", "true")
    if sub.request_passive:
        root.set("IsPassive", "true")
    root.set("ProtocolBinding", ns.BINDING_POST)
    root.set("AssertionConsumerServiceURL", config.acs_url)
    issuer = etree.SubElement(root, ns.q(ns.SAML, "Issuer"), Format=_ENTITY_FORMAT)
    issuer.text = config.entity_id
    policy = nameid_policy(sub)
    if policy is not None:
        element = etree.SubElement(root, ns.q(ns.SAMLP, "NameIDPolicy"), Format=policy[0])
        if policy[1] is not None:
            element.set("AllowCreate", policy[1])
    if sub.request_authn_context:
        rac = etree.SubElement(root, ns.q(ns.SAMLP, "RequestedAuthnContext"), Comparison=sub.request_authn_comparison)
        for c in sub.request_authn_context:
            etree.SubElement(rac, ns.q(ns.SAML, "AuthnContextClassRef")).text = ac.expand(c)
    return root


def redirect(config: SPConfig, sub: Subscription, relay_state: str | None) -> Redirect:
    request_id = new_request_id()
    root = build(config, sub, request_id)
    signing = sub.sign_authn_requests and bool(config.key_pem)
    if sub.authn_request_binding == "post":
        return _as_post(config, sub, request_id, root, relay_state, signing)
    saml_request = codec.encode_redirect(etree.tostring(root))
    if signing:
        # Signed in-process in the query (SigAlg/Signature, bindings §3.4.4.1).
        query = redirect_sign.sign_query("SAMLRequest", saml_request, relay_state, config.key_pem)
    else:
        query = "SAMLRequest=" + codec.form_quote(saml_request)
        if relay_state:
            query += "&RelayState=" + codec.form_quote(relay_state)
    location = sub.idp_sso_url + ("&" if "?" in sub.idp_sso_url else "?") + query
    return Redirect(request_id, location, saml_request)


def _as_post(
    config: SPConfig, sub: Subscription, request_id: str, root: etree._Element, relay_state: str | None, signing: bool
) -> Redirect:
    """The same AuthnRequest by HTTP-POST: plain base64 in a self-posting form, signed enveloped."""
    if signing:
        out = binding.send(
            root,
            param="SAMLRequest",
            binding="post",
            relay_state=relay_state,
            key_pem=config.key_pem,
            cert_pem=config.cert_pem,
        )
        value = out.value
    else:
        value = codec.encode_post(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    fields = {"SAMLRequest": value, **({"RelayState": relay_state} if relay_state else {})}
    form = auto_post_form(sub.idp_sso_url, fields, actor="Vendor SP")
    return Redirect(request_id, sub.idp_sso_url, value, binding.POST, form)
