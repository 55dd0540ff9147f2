"""Talking to an SP over HTTP as a browser would: start a login, post a message, ask who is in."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from lxml import etree
from lxml import html as lxml_html

from harness.core.battery.verdicts import Observed
from samlkit import codec, ns, safexml
from sp.contract import BOUNCE_HEADER, REASON_HEADER

OVERSIZED = 1024 * 1024  # a body this large may be refused by closing the connection


@dataclass
class AuthnRequestInfo:
    id: str
    issuer: str
    acs_url: str | None
    relay_state: str | None


class LoginError(Exception):
    def __init__(self, message: str, observed: Observed | None = None):
        super().__init__(message)
        self.observed = observed


def read_authn_request(value: str, *, deflated: bool, relay_state: str | None) -> AuthnRequestInfo:
    try:
        xml = codec.decode_redirect(value) if deflated else codec.b64decode_strict(value)
        root = safexml.parse(xml, codec.MAX_MESSAGE_BYTES)
    except (codec.DecodeError, safexml.UnsafeXML) as err:
        raise LoginError(f"the SP's SAMLRequest cannot be read ({err})") from err
    issuer = root.find(ns.q(ns.SAML, "Issuer"))
    if not root.get("ID"):
        raise LoginError("the SP's AuthnRequest has no ID")
    return AuthnRequestInfo(
        id=root.get("ID"),
        issuer=issuer.xpath("string()") if issuer is not None else "",
        acs_url=root.get("AssertionConsumerServiceURL"),
        relay_state=relay_state or None,
    )


def start_login(session: requests.Session, login_url: str, timeout: float = 15.0) -> AuthnRequestInfo:
    """GET the SP's login URL and read the AuthnRequest it sends (HTTP-Redirect or an HTTP-POST form).

    Redirects inside the SP are followed; the IdP is never contacted.
    """
    url = login_url
    for _ in range(6):
        started = time.perf_counter()
        try:
            r = session.get(url, allow_redirects=False, timeout=timeout)
        except requests.RequestException as err:
            raise LoginError(f"GET {url} failed: {err}", Observed(error=error_text(err))) from err
        if r.status_code >= 500:
            obs = Observed(status=r.status_code, reason=r.headers.get(REASON_HEADER, ""))
            obs.ms = (time.perf_counter() - started) * 1000
            raise LoginError(f"the login URL answered {r.status_code}", obs)
        location = r.headers.get("Location")
        if r.is_redirect and location:
            nxt = urljoin(url, location)
            query = parse_qs(urlsplit(nxt).query)
            if "SAMLRequest" in query:
                relay = query.get("RelayState", [None])[0]
                return read_authn_request(query["SAMLRequest"][0], deflated=True, relay_state=relay)
            url = nxt
            continue
        if "SAMLRequest" in r.text:
            try:
                doc = lxml_html.fromstring(r.text)
            except (ValueError, etree.ParserError) as err:
                raise LoginError(f"the login page cannot be read ({err})") from err
            for form in doc.forms:
                fields = {i.name: (i.value or "") for i in form.inputs if i.name}
                if "SAMLRequest" in fields:
                    return read_authn_request(
                        fields["SAMLRequest"], deflated=False, relay_state=fields.get("RelayState")
                    )
        raise LoginError(
            f"the login URL answered {r.status_code} without an AuthnRequest"
            + (f" ({r.headers.get(REASON_HEADER)})" if r.headers.get(REASON_HEADER) else "")
        )
    raise LoginError("the login URL redirects too often without reaching an AuthnRequest")


def error_text(err: Exception) -> str:
    if isinstance(err, requests.Timeout):
        return "timeout"
    if isinstance(err, requests.ConnectionError):
        return "connection error"
    return type(err).__name__


def same_site_bounce(r: requests.Response, acs_url: str) -> tuple[str, dict[str, str]] | None:
    """The SP's same-site re-post page (see sp.app): its form's action and fields, or None."""
    if r.status_code != 200 or BOUNCE_HEADER not in r.headers:
        return None
    try:
        form = lxml_html.fromstring(r.text).forms[0]
    except (IndexError, ValueError, etree.ParserError):
        return None
    return urljoin(acs_url, form.action or acs_url), dict(form.form_values())


def post_message(session: requests.Session, acs_url: str, fields: dict[str, str], timeout: float) -> Observed:
    """POST a form to the ACS (following the SP's same-site re-post) and observe the answer."""
    started = time.perf_counter()
    obs = Observed()
    try:
        r = session.post(acs_url, data=fields, allow_redirects=False, timeout=timeout)
        bounce = same_site_bounce(r, acs_url)
        if bounce is not None:  # the SP re-posts from its own page, as a browser's script would
            r.close()
            r = session.post(bounce[0], data=bounce[1], allow_redirects=False, timeout=timeout)
    except requests.ConnectionError as err:
        if sum(len(v) for v in fields.values()) > OVERSIZED:
            obs.closed = True  # many servers answer 413 and hang up without reading the rest
        else:
            obs.error = error_text(err)
    except requests.RequestException as err:
        obs.error = error_text(err)
    else:
        obs.status = r.status_code
        obs.reason = r.headers.get(REASON_HEADER, "")
        obs.location = r.headers.get("Location", "")
        r.close()
    obs.ms = (time.perf_counter() - started) * 1000
    return obs


def ask_session(
    session: requests.Session, session_url: str, *, whoami_json: bool, timeout: float
) -> tuple[bool, str | None]:
    """(a session is open, whose) by the SP's session page; `whoami_json`: it answers like /whoami."""
    try:
        r = session.get(session_url, allow_redirects=False, timeout=timeout)
    except requests.RequestException:
        return False, None
    if not 200 <= r.status_code < 300:
        return False, None
    if not whoami_json:
        return True, None
    try:
        body = r.json()
    except ValueError:
        return False, None
    if not isinstance(body, dict) or not body.get("authenticated"):
        return False, None
    return True, body.get("login")
