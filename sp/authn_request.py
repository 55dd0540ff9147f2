"""Make the SP-initiated AuthnRequest (HTTP-Redirect) with pysaml2, one client per trust."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client

from samlkit.entities import make_sp_client, metadata_of
from sp.model import SPConfig, Subscription
from sp.request_options import authn_request_kwargs


@dataclass
class Redirect:
    request_id: str
    location: str
    saml_request: str


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
        return Redirect(request_id, location, saml_request)

    def metadata(self, config: SPConfig, sub: Subscription) -> str:
        return metadata_of(self.get(config, sub))
