"""Read the common, plain AuthnRequest without pysaml2 (~0.2 ms less per login at the IdP).

Only a request of the shape SPs send every day is read here: no signature, the attributes and
children below and nothing else, every value of the type pysaml2 would check. Anything else
(signed, extra elements or attributes, comments, a Destination that is not this IdP's, a bad
date or URI...) returns None and goes the whole way through pysaml2, so that every refusal it
makes stays. The fields are read into the same attribute names as pysaml2's message object, so
that one piece of code turns either into a ParsedRequest.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from lxml import etree
from saml2 import time_util

from samlkit import ns

_ATTRS = {
    "ID",
    "Version",
    "IssueInstant",
    "Destination",
    "ForceAuthn",
    "IsPassive",
    "ProtocolBinding",
    "AssertionConsumerServiceURL",
    "AssertionConsumerServiceIndex",
}
_URIS = ("Destination", "ProtocolBinding", "AssertionConsumerServiceURL")
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*\Z")
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z\Z")
_ISSUER = ns.q(ns.SAML, "Issuer")
_POLICY = ns.q(ns.SAMLP, "NameIDPolicy")
_RAC = ns.q(ns.SAMLP, "RequestedAuthnContext")
_CLASS_REF = ns.q(ns.SAML, "AuthnContextClassRef")
_COMPARISONS = {"exact", "minimum", "maximum", "better"}


class _Plain(Exception):
    """Not the plain shape: pysaml2 reads it."""


@dataclass
class Text:
    text: str | None


@dataclass
class NameIDPolicyView:
    format: str | None = None
    allow_create: str | None = None


@dataclass
class RequestedAuthnContextView:
    comparison: str | None = None
    authn_context_class_ref: list[Text] = field(default_factory=list)
    authn_context_decl_ref: list[Text] = field(default_factory=list)


@dataclass
class RequestView:
    """The fields of an AuthnRequest under pysaml2's attribute names."""

    id: str
    issuer: Text | None
    assertion_consumer_service_url: str | None
    assertion_consumer_service_index: str | None
    protocol_binding: str | None
    force_authn: str | None
    is_passive: str | None
    name_id_policy: NameIDPolicyView | None
    requested_authn_context: RequestedAuthnContextView | None


def read_plain(root: etree._Element, receivers: list[str]) -> RequestView | None:
    """The request's fields when it has the plain shape and pysaml2 would accept it, else None."""
    try:
        return _read(root, receivers)
    except _Plain:
        return None


def _require(condition: object) -> None:
    if not condition:
        raise _Plain


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _attrs(el: etree._Element, allowed: set[str]) -> dict[str, str]:
    found = dict(el.attrib)
    _require(found.keys() <= allowed)
    return found


def _text_only(el: etree._Element) -> str | None:
    _require(len(el) == 0 and _blank(el.tail))  # no comment, PI or child: .text is the whole text
    return el.text


# The same few values arrive with every request (the SP's ACS URL, the POST binding, this
# IdP's SSO URL; IssueInstant within a second): what pysaml2's parsers say of each is kept,
# bounded, for values no longer than a URL limit (a longer one is simply read again).
_MEMO_SIZE = 256
_MEMO_CHARS = 2048


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _parses_as_uri(value: str) -> bool:
    try:
        urlparse(value)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _pysaml2_reads_instant(instant: str) -> bool:
    try:
        time_util.str_to_time(instant)
    except ValueError:
        return False
    return True


def _memo(check: functools._lru_cache_wrapper, value: str) -> bool:
    return check(value) if len(value) <= _MEMO_CHARS else check.__wrapped__(value)


def _uri(value: str | None) -> None:
    if value is not None:
        _require(_memo(_parses_as_uri, value))


def _read(root: etree._Element, receivers: list[str]) -> RequestView:
    a = _attrs(root, _ATTRS)
    _require(_ID.match(a.get("ID", "")) and a.get("Version") == "2.0")
    instant = a.get("IssueInstant", "")
    _require(_INSTANT.match(instant) and _memo(_pysaml2_reads_instant, instant))
    _require(a.get("Destination") is None or a.get("Destination") in receivers)
    _require(all(a.get(b) in (None, "true", "false") for b in ("ForceAuthn", "IsPassive")))
    index = a.get("AssertionConsumerServiceIndex")
    _require(index is None or (index.isascii() and index.isdigit() and int(index) < 65536))
    for name in _URIS:
        _uri(a.get(name))
    _require(_blank(root.text))
    children = list(root)
    issuer = policy = rac = None
    if children and children[0].tag == _ISSUER:
        _uri(_attrs(children[0], {"Format"}).get("Format"))
        issuer = Text(_text_only(children.pop(0)))
    if children and children[0].tag == _POLICY:
        pa = _attrs(children[0], {"Format", "AllowCreate"})
        _require(pa.get("AllowCreate") in (None, "true", "false") and _blank(_text_only(children.pop(0))))
        _uri(pa.get("Format"))
        policy = NameIDPolicyView(pa.get("Format"), pa.get("AllowCreate"))
    if children and children[0].tag == _RAC:
        rac = _requested_context(children.pop(0))
    _require(not children)
    return RequestView(
        id=a["ID"],
        issuer=issuer,
        assertion_consumer_service_url=a.get("AssertionConsumerServiceURL"),
        assertion_consumer_service_index=index,
        protocol_binding=a.get("ProtocolBinding"),
        force_authn=a.get("ForceAuthn"),
        is_passive=a.get("IsPassive"),
        name_id_policy=policy,
        requested_authn_context=rac,
    )


def _requested_context(el: etree._Element) -> RequestedAuthnContextView:
    comparison = _attrs(el, {"Comparison"}).get("Comparison")
    _require(comparison is None or comparison in _COMPARISONS)
    _require(len(el) > 0 and _blank(el.text) and _blank(el.tail))
    refs = []
    for ref in el:
        _require(ref.tag == _CLASS_REF and not _attrs(ref, set()))
        refs.append(Text(_text_only(ref)))
    return RequestedAuthnContextView(comparison, refs)
