"""The fields a tester edits, read from and written into the XML tree (the form of the editor).

Each field names where it lives (an element's text or an attribute); reading gives "" when the
message has no such place, writing there raises `WorkbenchError` rather than inventing structure,
except attributes (`attr.NAME`), which are added or, set to "", removed. Multiple attribute values
are separated by " | ".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from harness.core.workbench.message import WorkbenchError
from samlkit import ns

VALUE_SEPARATOR = " | "
STATUS_PREFIX = "urn:oasis:names:tc:SAML:2.0:status:"
TIME_ATTRIBUTES = ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant", "SessionNotOnOrAfter")


def _q(local: str, nsuri: str = ns.SAML) -> str:
    return ns.q(nsuri, local)


def assertion_of(root: etree._Element) -> etree._Element | None:
    return root if root.tag == _q("Assertion") else root.find(_q("Assertion"))


def _in_assertion(*path: str) -> Callable[[etree._Element], etree._Element | None]:
    def find(root: etree._Element) -> etree._Element | None:
        el = assertion_of(root)
        for local in path:
            if el is None:
                return None
            el = el.find(_q(local))
        return el

    return find


def _in_root(*path: tuple[str, str]) -> Callable[[etree._Element], etree._Element | None]:
    def find(root: etree._Element) -> etree._Element | None:
        el = root
        for nsuri, local in path:
            if el is None:
                return None
            el = el.find(_q(local, nsuri))
        return el

    return find


def _root(root: etree._Element) -> etree._Element:
    return root


@dataclass(frozen=True)
class Field:
    key: str  # what `--set key=value` names
    label: str
    find: Callable[[etree._Element], etree._Element | None]
    attribute: str | None = None  # None: the element's text
    time: bool = False


_SCD = ("Subject", "SubjectConfirmation", "SubjectConfirmationData")
FIELDS: list[Field] = [
    Field("issuer", "Issuer", _in_root((ns.SAML, "Issuer"))),
    Field("assertion.issuer", "Assertion Issuer", _in_assertion("Issuer")),
    Field("nameid", "NameID", _in_assertion("Subject", "NameID")),
    Field("nameid.format", "NameID Format", _in_assertion("Subject", "NameID"), "Format"),
    Field("audience", "Audience", _in_assertion("Conditions", "AudienceRestriction", "Audience")),
    Field("recipient", "Recipient", _in_assertion(*_SCD), "Recipient"),
    Field("destination", "Destination", _root, "Destination"),
    Field("in_response_to", "InResponseTo", _root, "InResponseTo"),
    Field("acs_url", "ACS URL", _root, "AssertionConsumerServiceURL"),
    Field("status", "Status", _in_root((ns.SAMLP, "Status"), (ns.SAMLP, "StatusCode")), "Value"),
    Field("issue_instant", "IssueInstant", _root, "IssueInstant", time=True),
    Field("assertion.issue_instant", "Assertion IssueInstant", _in_assertion(), "IssueInstant", time=True),
    Field("not_before", "Conditions NotBefore", _in_assertion("Conditions"), "NotBefore", time=True),
    Field("not_on_or_after", "Conditions NotOnOrAfter", _in_assertion("Conditions"), "NotOnOrAfter", time=True),
    Field("subject.not_on_or_after", "Subject NotOnOrAfter", _in_assertion(*_SCD), "NotOnOrAfter", time=True),
    Field("authn_instant", "AuthnInstant", _in_assertion("AuthnStatement"), "AuthnInstant", time=True),
    Field(
        "session_not_on_or_after",
        "SessionNotOnOrAfter",
        _in_assertion("AuthnStatement"),
        "SessionNotOnOrAfter",
        time=True,
    ),
]
BY_KEY = {f.key: f for f in FIELDS}
RELAY_STATE = "relay_state"  # not in the XML: travels beside it


def _text(el: etree._Element) -> str:
    return "".join(el.itertext())


def read_field(root: etree._Element, key: str) -> str | None:
    """The field's value; None when the message has no place for it."""
    f = BY_KEY.get(key)
    if f is None:
        if key.startswith("attr."):
            values = attributes(root).get(key[5:])
            return None if values is None else VALUE_SEPARATOR.join(values)
        raise WorkbenchError(unknown(key))
    el = f.find(root)
    if el is None or not isinstance(el.tag, str):
        return None
    if f.attribute is None:
        return _text(el)
    return el.get(f.attribute)


def present_fields(root: etree._Element) -> list[Field]:
    """The fields this message has a place for (an AuthnRequest has no NameID...)."""
    return [f for f in FIELDS if (el := f.find(root)) is not None and (f.attribute is None or f.attribute in el.attrib)]


def unknown(key: str) -> str:
    return f"no field {key!r}: use one of {', '.join(BY_KEY)}, {RELAY_STATE}, or attr.NAME"


def set_field(root: etree._Element, key: str, value: str) -> None:
    """Write `value` into the tree (InResponseTo goes to the SubjectConfirmationData too)."""
    probe = etree.Element("probe")
    try:  # checked before the tree is touched, so a refused value changes nothing
        probe.text = value
    except ValueError:  # lxml: a control character or NUL, which XML 1.0 cannot carry
        raise WorkbenchError(f"{key}: XML cannot carry that value (a control character or NUL in it)") from None
    _set_field(root, key, value)


def _set_field(root: etree._Element, key: str, value: str) -> None:
    f = BY_KEY.get(key)
    if f is None:
        if key.startswith("attr.") and key[5:]:
            set_attribute(root, key[5:], split_values(value))
            return
        raise WorkbenchError(unknown(key))
    el = f.find(root)
    if el is None or (f.attribute is not None and f.attribute not in el.attrib and key != "in_response_to"):
        raise WorkbenchError(f"this {root_kind(root)} has no {f.label} to set")
    if key == "status" and value and ":" not in value:
        value = STATUS_PREFIX + value
    if f.attribute is None:
        for child in list(el):  # a comment-split value becomes one text again
            el.remove(child)
        el.text = value
        return
    el.set(f.attribute, value)
    if key == "in_response_to":
        scd = _in_assertion(*_SCD)(root)
        if scd is not None and "InResponseTo" in scd.attrib:
            scd.set("InResponseTo", value)


def root_kind(root: etree._Element) -> str:
    return etree.QName(root).localname if isinstance(root.tag, str) else "message"


def split_values(value: str) -> list[str]:
    return [v.strip() for v in value.split("|")] if value.strip() else []


# -- attributes ------------------------------------------------------------------------------------


def attributes(root: etree._Element) -> dict[str, list[str]]:
    """Attribute name to values, in document order, from the (first) Assertion."""
    assertion = assertion_of(root)
    out: dict[str, list[str]] = {}
    if assertion is None:
        return out
    for attr in assertion.iter(_q("Attribute")):
        name = attr.get("Name") or ""
        out.setdefault(name, []).extend(_text(v) for v in attr.findall(_q("AttributeValue")))
    return out


def set_attribute(root: etree._Element, name: str, values: list[str]) -> None:
    """Replace the values of attribute `name` (added when missing, removed when `values` is empty)."""
    assertion = assertion_of(root)
    if assertion is None:
        raise WorkbenchError(f"this {root_kind(root)} has no Assertion to carry attributes")
    existing = [a for a in assertion.iter(_q("Attribute")) if a.get("Name") == name]
    if not values:
        for a in existing:
            a.getparent().remove(a)
        return
    if existing:
        attr = existing[0]
        for a in existing[1:]:
            a.getparent().remove(a)
    else:
        statement = assertion.find(_q("AttributeStatement"))
        if statement is None:
            statement = etree.SubElement(assertion, _q("AttributeStatement"))
        attr = etree.SubElement(statement, _q("Attribute"), {"Name": name, "NameFormat": ns.ATTRNAME_BASIC})
    template = attr.find(_q("AttributeValue"))
    kept = dict(template.attrib) if template is not None else {}
    for v in attr.findall(_q("AttributeValue")):
        attr.remove(v)
    for value in values:
        etree.SubElement(attr, _q("AttributeValue"), kept).text = value


def read_all(root: etree._Element) -> dict[str, str]:
    """Every field present, and every attribute as attr.NAME (what the form shows)."""
    out = {f.key: read_field(root, f.key) or "" for f in present_fields(root)}
    for name, values in attributes(root).items():
        out[f"attr.{name}"] = VALUE_SEPARATOR.join(values)
    return out
