"""Single Logout messages (SAML core §3.7): LogoutRequest and LogoutResponse, built with lxml.

Both servers build them here; `samlkit.binding` signs and sends them, and reads them back.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from lxml import etree

from samlkit import ns

NSMAP = {"samlp": ns.SAMLP, "saml": ns.SAML}
STATUS_REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
STATUS_PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
REASON_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"
LOGOUT_LIFETIME = 300  # seconds a LogoutRequest is valid (its NotOnOrAfter)


def new_id() -> str:
    return "_" + secrets.token_hex(16)


def instant(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _el(parent: etree._Element, nsuri: str, local: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, ns.q(nsuri, local), {k: v for k, v in attrs.items() if v})
    if text is not None:
        el.text = text
    return el


def _root(local: str, issuer: str, destination: str, now: dt.datetime | None) -> etree._Element:
    root = etree.Element(ns.q(ns.SAMLP, local), nsmap=NSMAP)
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now or dt.datetime.now(dt.UTC)))
    root.set("Destination", destination)
    _el(root, ns.SAML, "Issuer", issuer)
    return root


def logout_request(
    *,
    issuer: str,
    destination: str,
    name_id: str,
    name_id_format: str = "",
    sp_name_qualifier: str = "",
    session_index: str = "",
    now: dt.datetime | None = None,
) -> etree._Element:
    """A LogoutRequest for one NameID (and its SessionIndex), valid for LOGOUT_LIFETIME seconds."""
    now = now or dt.datetime.now(dt.UTC)
    root = _root("LogoutRequest", issuer, destination, now)
    root.set("NotOnOrAfter", instant(now + dt.timedelta(seconds=LOGOUT_LIFETIME)))
    root.set("Reason", REASON_USER)
    _el(root, ns.SAML, "NameID", name_id, Format=name_id_format or None, SPNameQualifier=sp_name_qualifier or None)
    if session_index:
        _el(root, ns.SAMLP, "SessionIndex", session_index)
    return root


def logout_response(
    *,
    issuer: str,
    destination: str,
    in_response_to: str | None,
    status: str = ns.STATUS_SUCCESS,
    sub_status: str | None = None,
    message: str | None = None,
    now: dt.datetime | None = None,
) -> etree._Element:
    root = _root("LogoutResponse", issuer, destination, now)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    st = _el(root, ns.SAMLP, "Status")
    code = _el(st, ns.SAMLP, "StatusCode", Value=status)
    if sub_status:
        _el(code, ns.SAMLP, "StatusCode", Value=sub_status)
    if message:
        _el(st, ns.SAMLP, "StatusMessage", message)
    return root


@dataclass
class LogoutRequestView:
    """What a received LogoutRequest says (read only; nothing here is trusted)."""

    id: str
    issuer: str
    destination: str
    name_id: str
    name_id_format: str
    session_indexes: list[str]
    not_on_or_after: str


@dataclass
class LogoutResponseView:
    id: str
    issuer: str
    destination: str
    in_response_to: str
    status: str
    sub_status: str
    message: str


def _text(el: etree._Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _exact(el: etree._Element | None) -> str:
    """XPath string(): every text node as sent, comments skipped, nothing trimmed."""
    return str(el.xpath("string()")) if el is not None else ""


def read_name_id(name_id: etree._Element | None) -> tuple[str, str]:
    """(value, Format) of a NameID: the value exactly, as the Assertion's NameID is read at login
    (NameIDs are opaque, 'alice ' is not 'alice')."""
    return _exact(name_id), name_id.get("Format", "") if name_id is not None else ""


def read_request(root: etree._Element) -> LogoutRequestView:
    """What the LogoutRequest says; an EncryptedID leaves the NameID empty (the recipient decrypts it)."""
    name_id, name_id_format = read_name_id(root.find(ns.q(ns.SAML, "NameID")))
    return LogoutRequestView(
        id=root.get("ID") or "",
        issuer=_text(root.find(ns.q(ns.SAML, "Issuer"))),
        destination=root.get("Destination") or "",
        name_id=name_id,
        name_id_format=name_id_format,
        session_indexes=[_text(e) for e in root.findall(ns.q(ns.SAMLP, "SessionIndex"))],
        not_on_or_after=root.get("NotOnOrAfter") or "",
    )


def read_response(root: etree._Element) -> LogoutResponseView:
    code = root.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusCode')}")
    sub = code.find(ns.q(ns.SAMLP, "StatusCode")) if code is not None else None
    return LogoutResponseView(
        id=root.get("ID") or "",
        issuer=_text(root.find(ns.q(ns.SAML, "Issuer"))),
        destination=root.get("Destination") or "",
        in_response_to=root.get("InResponseTo") or "",
        status=code.get("Value", "") if code is not None else "",
        sub_status=sub.get("Value", "") if sub is not None else "",
        message=_text(root.find(f"{ns.q(ns.SAMLP, 'Status')}/{ns.q(ns.SAMLP, 'StatusMessage')}")),
    )


def status_text(view: LogoutResponseView) -> str:
    """'Requester / RequestDenied: reason', short status names, for people."""
    parts = [view.status.rsplit(":", 1)[-1] or "(no status)"]
    if view.sub_status:
        parts.append(" / " + view.sub_status.rsplit(":", 1)[-1])
    if view.message:
        parts.append(": " + view.message)
    return "".join(parts)


def expired(not_on_or_after: str, skew: int, now: dt.datetime | None = None) -> bool:
    """True when the instant has passed (with `skew` seconds of tolerance); an unreadable one counts as passed."""
    if not not_on_or_after:
        return False
    try:
        t = dt.datetime.fromisoformat(not_on_or_after.replace("Z", "+00:00"))
    except ValueError:
        return True
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return (now or dt.datetime.now(dt.UTC)) >= t + dt.timedelta(seconds=skew)


_INSTANT = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?")


def read_instant(value: str | None) -> dt.datetime | None:
    """An xs:dateTime (without a zone: UTC) as an aware UTC datetime; None when it is not one."""
    m = _INSTANT.fullmatch((value or "").strip())
    if m is None:
        return None
    whole, fraction, zone = m.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    try:
        return dt.datetime.fromisoformat(f"{whole}.{micro}{zone or 'Z'}").astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def issue_instant_problem(
    issued: dt.datetime | None, value: str | None, skew: int, now: dt.datetime | None = None
) -> tuple[str, str] | None:
    """(reason code, message) when a LogoutRequest issued at `issued` (read from `value`) is not valid
    now, else None. It is valid LOGOUT_LIFETIME seconds after its IssueInstant whatever its optional
    NotOnOrAfter says: a signed one captured long ago (none, or a far NotOnOrAfter, and no
    SessionIndex) would otherwise end the NameID's later sessions."""
    if issued is None:
        return "time-missing", f"The LogoutRequest's IssueInstant {value!r} is not a time."
    now = now or dt.datetime.now(dt.UTC)
    tolerance = dt.timedelta(seconds=skew)
    if issued > now + tolerance:
        return "not-yet-valid", f"The LogoutRequest is issued in the future ({value})."
    if now - tolerance > issued + dt.timedelta(seconds=LOGOUT_LIFETIME):
        return "expired", f"The LogoutRequest was issued at {value}, more than {LOGOUT_LIFETIME} s ago."
    return None
