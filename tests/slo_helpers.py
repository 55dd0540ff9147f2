"""A browser that walks between the in-process SP and IdP (redirects and self-posting forms), for SLO tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
import pytest
from csp_check import allows, directives
from lxml import etree
from saml_helpers import IDP_BASE, SP_BASE, Browser, World, forms, keys
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request, Response

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
    """Follows 302s and SAML auto-post forms across both apps, as a browser would; stops off-site.

    Like Chromium it holds each hop to the Content-Security-Policy that governs it: a frame's every
    navigation (redirects too) to its page's frame-src, a form's POST and the redirects that follow
    to the posting page's form-action."""

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

    def go(
        self,
        url: str,
        method: str = "GET",
        data: dict | None = None,
        hops: int = 15,
        *,
        in_frame: bool = False,
        frame_src: tuple[list[str], str] | None = None,
    ) -> TestResponse:
        last: TestResponse | None = None
        form_action: tuple[list[str], str] | None = None  # (sources, the posting page's URL)
        for _ in range(hops):
            for rule, what in ((frame_src, "frame-src"), (form_action, "form-action")):
                assert rule is None or allows(rule[0], url, rule[1]), f"{what} {rule} refuses {url}"
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
            policy = directives(r.headers.get("Content-Security-Policy", ""))
            frames = [] if in_frame or r.status_code != 200 else self._frames(r)
            for src in frames:  # the IdP's logout page: each SP in its frame, then the page goes on
                self.go(urljoin(url, src), in_frame=True, frame_src=(policy.get("frame-src", ["'none'"]), url))
            nxt = self._form(r, url, after_frames=bool(frames))
            if nxt is None:
                return r
            form_action = (policy["form-action"], url) if "form-action" in policy else None
            url, method, data = nxt[0], "POST", nxt[1]
        raise AssertionError(f"more than {hops} hops: {self.visited}")

    @staticmethod
    def _frames(r: TestResponse) -> list[str]:
        text = r.get_data(as_text=True)
        if "<iframe" not in text:
            return []
        return [f.get("src") for f in lxml.html.fromstring(text).iter("iframe") if f.get("src")]

    @staticmethod
    def _form(r: TestResponse, url: str, *, after_frames: bool = False) -> tuple[str, dict] | None:
        text = r.get_data(as_text=True)
        if r.status_code != 200 or "<form" not in text:
            return None
        for f in forms(text):
            if {"SAMLRequest", "SAMLResponse"} & set(f.fields):
                return urljoin(url, f.action), f.fields
        if after_frames:  # the page's script submits its data-after-frames form once the frames loaded
            for form in lxml.html.fromstring(text).forms:
                if form.get("data-after-frames") is not None:
                    return urljoin(url, form.get("action")), {i.name: i.value or "" for i in form.inputs if i.name}
        return None


def redirect_message(location: str) -> tuple[etree._Element, dict[str, str]]:
    """The XML and the query parameters of an HTTP-Redirect Location."""
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    param = "SAMLRequest" if "SAMLRequest" in q else "SAMLResponse"
    return etree.fromstring(codec.decode_redirect(q[param])), q


class BrokenSP:
    """An SP that takes any login at its ACS and answers its SLO endpoint (`/slo`) with an error page
    of `status`, never a LogoutResponse: the IdP's logout must go on without it."""

    def __init__(self, status: int = 403) -> None:
        self.status = status
        self.slo_hits = 0

    def __call__(self, environ: dict, start_response: Any) -> Any:
        req = Request(environ)
        if req.path == "/slo":
            self.slo_hits += 1
            resp = Response("<h1>Logout refused</h1>", status=self.status, mimetype="text/html")
        else:
            resp = Response("<p>signed in</p>", mimetype="text/html")
        return resp(environ, start_response)


def register_broken_sp(workspace: Any, entity_id: str, base: str) -> None:
    """The workspace's IdP knows the BrokenSP served at `base` beside the harness as `entity_id`."""
    from harness.core.workspace_records import IdPForSP

    workspace.save_idp_for_sp(
        IdPForSP(
            entity_id=entity_id,
            name="Broken SP",
            acs_url=base + "/acs",
            slo_url=base + "/slo",
            sp_certificate=workspace.keypair("idp-old").cert_pem.decode(),
        )
    )


LOOPBACK_PASSWORDS = {"alice": "alice123", "bob": "bob123"}  # the demo workspace's users


@pytest.fixture(name="opened")
def opened_fixture() -> Iterator[list]:
    """Scripted browsers a loopback test opens, closed whatever happens."""
    browsers: list = []
    yield browsers
    for b in browsers:
        b.close()


def signed_in(servers: Any, opened: list, user: str) -> Any:
    """A scripted browser in which `user` signed in at the demo SP through the mock IdP."""
    from harness.core.browser import Credentials, ScriptedBrowser

    b = ScriptedBrowser(Credentials(user, LOOPBACK_PASSWORDS[user]))
    opened.append(b)
    page = b.get(servers.login_url("4711"))
    assert page.url.startswith(servers.sp_base), (page.url, page.reason_code)
    return b
