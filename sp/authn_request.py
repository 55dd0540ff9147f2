"""Make the SP-initiated AuthnRequest with pysaml2, one client per trust; send it by HTTP-Redirect
(signed in the query when the subscription says so) or HTTP-POST (signed enveloped)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client

from samlkit import binding, codec, redirect_sign
from samlkit.entities import make_sp_client
from samlkit.html import auto_post_form
from sp.model import SPConfig, Subscription
from sp.request_options import authn_request_kwargs


@dataclass
class Redirect:
    request_id: str
    location: str  # Redirect: the whole URL; POST: the IdP's SSO URL
    saml_request: str  # the value as it travels (deflated base64, or base64 for POST)
    binding: str = binding.REDIRECT
    form_html: str = ""  # POST: the self-posting form


class Clients:
    """pysaml2 clients cached per (subscription, trust): building one parses metadata."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple, Saml2Client] = {}

    def get(self, config: SPConfig, sub: Subscription) -> Saml2Client:
        key = (config.entity_id, config.acs_url, sub.idm_key, sub.idp_entity_id, sub.idp_sso_url, sub.idp_cert_pem)
        with self._lock:
            client = self._cache.get(key)
        if client is None:
            client = make_sp_client(
                entity_id=config.entity_id,
                acs_url=config.acs_url,
                idp_entity_id=sub.idp_entity_id,
                idp_sso_url=sub.idp_sso_url,
                idp_cert_pem=sub.idp_cert_pem,
                accepted_time_diff=config.clock_skew,
            )
            with self._lock:
                if len(self._cache) > 256:
                    self._cache.clear()
                self._cache[key] = client
        return client

    def redirect(self, config: SPConfig, sub: Subscription, relay_state: str | None) -> Redirect:
        client = self.get(config, sub)
        request_id, info = client.prepare_for_authenticate(
            entityid=sub.idp_entity_id,
            relay_state=relay_state or "",
            binding=BINDING_HTTP_REDIRECT,
            assertion_consumer_service_url=config.acs_url,
            **authn_request_kwargs(sub),  # ForceAuthn, IsPassive, NameIDPolicy, RequestedAuthnContext
        )
        location = dict(info["headers"])["Location"]
        saml_request = parse_qs(urlsplit(location).query).get("SAMLRequest", [""])[0]
        signing = sub.sign_authn_requests and bool(config.key_pem)
        if sub.authn_request_binding == "post":
            return _as_post(config, sub, request_id, saml_request, relay_state, signing)
        if signing:
            # pysaml2's query is replaced by one signed in-process (SigAlg/Signature, bindings §3.4.4.1).
            query = redirect_sign.sign_query("SAMLRequest", saml_request, relay_state, config.key_pem)
            location = sub.idp_sso_url + ("&" if "?" in sub.idp_sso_url else "?") + query
        return Redirect(request_id, location, saml_request)


def _as_post(
    config: SPConfig, sub: Subscription, request_id: str, deflated: str, relay_state: str | None, signing: bool
) -> Redirect:
    """The same AuthnRequest by HTTP-POST: plain base64 in a self-posting form, signed enveloped."""
    root = etree.fromstring(codec.decode_redirect(deflated))  # pysaml2's own output, not input from outside
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
