"""A browser that walks between the in-process SP and IdP (redirects and self-posting forms), for SLO tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from saml_helpers import IDP_BASE, SP_BASE, Browser, World, forms, keys
from werkzeug.test import TestResponse

from samlkit import codec

SLO_PATH = "/IdM/saml2/slo"


def slo_world(
    new_world: Any, *, sub: dict | None = None, idp_sp: dict | None = None, sp_config: dict | None = None
) -> World:
    """A world whose SP and IdP both do Single Logout, with the SP's real signing key."""
    k = keys()
    return new_world(
        sub={"idp_slo_url": IDP_BASE + "/slo", **(sub or {})},
        idp_sp={"slo_url": SP_BASE + SLO_PATH, "sp_cert_pem": k.sp.cert_pem, **(idp_sp or {})},
        sp_config={"key_pem": k.sp.key_pem, "cert_pem": k.sp.cert_pem, **(sp_config or {})},
    )


class Walker:
    """Follows 302s and SAML auto-post forms across both apps, as a browser would; stops off-site."""

    def __init__(self, browser: Browser):
        self.b = browser
        self.visited: list[tuple[str, str, int]] = []  # (method, url, status)
        self.url = ""

    def _client(self, url: str) -> Any:
        if url.startswith(SP_BASE):
            return self.b.sp
        if url.startswith(IDP_BASE):
            return self.b.idp
        return None

    def go(self, url: str, method: str = "GET", data: dict | None = None, hops: int = 15) -> TestResponse:
        last: TestResponse | None = None
        for _ in range(hops):
            client = self._client(url)
            if client is None:  # off-site (the exit URL): the walk ends here
                self.url = url
                return last
            parts = urlsplit(url)
            if method == "GET":  # a navigation the tester started (Sec-Fetch-Site: none), as the SP's logout wants
                r = client.get(parts.path, query_string=parts.query, headers={"Sec-Fetch-Site": "none"})
            else:
                r = client.post(parts.path, data=data)
            self.visited.append((method, url, r.status_code))
            last, self.url = r, url
            if r.status_code in (302, 303) and "Location" in r.headers:
                url, method, data = urljoin(url, r.headers["Location"]), "GET", None
                continue
            nxt = self._form(r, url)
            if nxt is None:
                return r
            url, method, data = nxt[0], "POST", nxt[1]
        raise AssertionError(f"more than {hops} hops: {self.visited}")

    @staticmethod
    def _form(r: TestResponse, url: str) -> tuple[str, dict] | None:
        if r.status_code != 200 or "<form" not in r.get_data(as_text=True):
            return None
        for f in forms(r.get_data(as_text=True)):
            if {"SAMLRequest", "SAMLResponse"} & set(f.fields):
                return urljoin(url, f.action), f.fields
        return None


def redirect_message(location: str) -> tuple[etree._Element, dict[str, str]]:
    """The XML and the query parameters of an HTTP-Redirect Location."""
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    param = "SAMLRequest" if "SAMLRequest" in q else "SAMLResponse"
    return etree.fromstring(codec.decode_redirect(q[param])), q
