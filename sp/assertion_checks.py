"""The Assertion's checks, one rule each, after its signature has been verified.

Each function records its check on the `Validator` (`v.ok`) or raises the refusal (`v.fail`),
and reads only from the verified Assertion (and the Response around it, for addressing).
Run in order by `Validator.finish` through `check_assertion`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from samlkit import ns
from sp.contract.reasons import Reason
from sp.saml_read import parse_instant, q, string_of

if TYPE_CHECKING:
    from sp.validate import Validator


@dataclass
class Identity:
    """What the verified assertion says, and nothing else."""

    assertion_id: str
    issuer: str
    name_id: str
    name_id_format: str
    attributes: dict[str, list[str]]
    session_index: str
    in_response_to: str | None
    expires: float  # the latest NotOnOrAfter, for the replay cache
    authn_context: str


def check_assertion(v: Validator, root: etree._Element, a: etree._Element) -> Identity:
    """Every rule on the verified Assertion `a` of the Response `root`; the identity it states."""
    if a.get("Version") != "2.0":
        raise v.fail("Protocol", Reason.NOT_SAML2, "The Assertion is not SAML 2.0.")
    issuer = check_issuer(v, a)
    subject, scd = check_subject(v, a)
    check_issue_instants(v, root, a)
    conditions = check_conditions(v, a)
    check_principal(v, subject)
    in_response_to = check_in_response_to(v, root, scd)
    statement = check_authn_statements(v, a)
    ctx = statement.find(f"{q('AuthnContext')}/{q('AuthnContextClassRef')}")
    name_id_el = subject.find(q("NameID"))
    expiries = [
        parse_instant(x)
        for x in (scd.get("NotOnOrAfter"), *(c.get("NotOnOrAfter") for c in conditions))
        if x is not None and parse_instant(x) is not None
    ]
    return Identity(
        assertion_id=a.get("ID", ""),
        issuer=issuer,
        # string() joins all text nodes and drops comments: "admin<!---->.evil" reads "admin.evil".
        name_id=string_of(name_id_el) if name_id_el is not None else "",
        name_id_format=name_id_el.get("Format", "") if name_id_el is not None else "",
        attributes=read_attributes(a),
        session_index=statement.get("SessionIndex", ""),
        in_response_to=in_response_to,
        expires=max(e for e in expiries if e is not None).timestamp() + v.skew.total_seconds(),
        authn_context=string_of(ctx) if ctx is not None else "",
    )


def check_issuer(v: Validator, a: etree._Element) -> str:
    issuer = a.find(q("Issuer"))
    value = string_of(issuer) if issuer is not None else ""
    if value != v.sub.idp_entity_id:
        raise v.fail(
            "Issuer",
            Reason.ISSUER_MISMATCH,
            f"The Assertion was issued by {value!r}, but this subscription trusts {v.sub.idp_entity_id!r}.",
        )
    v.ok("Issuer", value)
    return value


def check_subject(v: Validator, a: etree._Element) -> tuple[etree._Element, etree._Element]:
    """A Subject with a bearer confirmation for this ACS, in its time window: (Subject, its data)."""
    subject = a.find(q("Subject"))
    if subject is None:
        raise v.fail("Subject", Reason.SUBJECT_MISSING, "The Assertion has no Subject.")
    bearer = [c for c in subject.findall(q("SubjectConfirmation")) if c.get("Method") == ns.CM_BEARER]
    if not bearer:
        methods = [c.get("Method") for c in subject.findall(q("SubjectConfirmation"))]
        raise v.fail("Bearer", Reason.BEARER_MISSING, f"No bearer SubjectConfirmation (methods: {methods or 'none'}).")
    scd = bearer[0].find(q("SubjectConfirmationData"))
    if scd is None:
        raise v.fail("Recipient", Reason.RECIPIENT_MISMATCH, "The bearer confirmation has no SubjectConfirmationData.")
    recipient = scd.get("Recipient")
    if recipient != v.acs_url:
        raise v.fail(
            "Recipient", Reason.RECIPIENT_MISMATCH, f"The Recipient is {recipient!r}, not this ACS ({v.acs_url})."
        )
    v.ok("Recipient", recipient)
    v.check_instant("SubjectConfirmationData NotOnOrAfter", scd.get("NotOnOrAfter"), required=True, before=True)
    v.check_instant("SubjectConfirmationData NotBefore", scd.get("NotBefore"), required=False, before=False)
    return subject, scd


def check_issue_instants(v: Validator, root: etree._Element, a: etree._Element) -> None:
    """IssueInstant is required on both (SAML core §2.3.3, §3.2.2): its presence and form are
    checked here; the window itself is NotBefore/NotOnOrAfter's."""
    for name, value in (
        ("Response IssueInstant", root.get("IssueInstant")),
        ("Assertion IssueInstant", a.get("IssueInstant")),
    ):
        if parse_instant(value) is None:
            detail = f"{name} is missing." if value is None else f"{name} {value!r} is not a valid time."
            raise v.fail("Time window", Reason.TIME_MISSING, detail)


def check_conditions(v: Validator, a: etree._Element) -> list[etree._Element]:
    """Every Conditions holds: its time window, and an AudienceRestriction naming this SP.

    The schema allows one Conditions; were there more, each must hold, so a second one naming
    another Audience cannot be ignored.
    """
    conditions = a.findall(q("Conditions"))
    if not conditions:
        raise v.fail("Audience", Reason.AUDIENCE_MISMATCH, "The Assertion has no Conditions, so no Audience.")
    for cond in conditions:
        v.check_instant("Conditions NotBefore", cond.get("NotBefore"), required=False, before=False)
        v.check_instant("Conditions NotOnOrAfter", cond.get("NotOnOrAfter"), required=False, before=True)
    v.ok("Time window", f"now {v.now:%H:%M:%S}Z within the assertion's window (skew {v.skew.seconds}s)")
    restrictions = [r for cond in conditions for r in cond.findall(q("AudienceRestriction"))]
    if not restrictions:
        raise v.fail("Audience", Reason.AUDIENCE_MISMATCH, "The Assertion has no AudienceRestriction.")
    for r in restrictions:
        audiences = [string_of(el) for el in r.findall(q("Audience"))]
        if v.sp_entity_id not in audiences:
            raise v.fail(
                "Audience", Reason.AUDIENCE_MISMATCH, f"The Audience is {audiences}, but this SP is {v.sp_entity_id!r}."
            )
    v.ok("Audience", v.sp_entity_id)
    return conditions


def check_principal(v: Validator, subject: etree._Element) -> None:
    """One Subject names one principal (BaseID, NameID or EncryptedID), qualified for this SP.

    With two, whichever came first would choose whom to log in: refused instead.
    """
    identifiers = [el for el in subject if el.tag in (q("NameID"), q("BaseID"), q("EncryptedID"))]
    if len(identifiers) > 1:
        raise v.fail(
            "Subject",
            Reason.IDENTITY_AMBIGUOUS,
            f"The Subject names {len(identifiers)} principals "
            f"({', '.join(etree.QName(el).localname for el in identifiers)}); exactly one is allowed.",
        )
    name_id = subject.find(q("NameID"))
    qualifier = name_id.get("SPNameQualifier") if name_id is not None else None
    if qualifier is not None and qualifier != v.sp_entity_id:
        raise v.fail(
            "Audience",
            Reason.AUDIENCE_MISMATCH,
            f"The NameID is qualified for the SP {qualifier!r}, not this SP ({v.sp_entity_id!r}).",
        )


def check_in_response_to(v: Validator, root: etree._Element, scd: etree._Element) -> str | None:
    """A solicited Response answers a waiting request of this browser (used up now); an
    unsolicited one needs a subscription that allows IdP-initiated login. Returns the request ID."""
    in_response_to = root.get("InResponseTo")
    scd_irt = scd.get("InResponseTo")
    if scd_irt is not None and in_response_to is not None and scd_irt != in_response_to:
        raise v.fail(
            "InResponseTo",
            Reason.IN_RESPONSE_TO_MISMATCH,
            f"The Response answers {in_response_to} but the Assertion {scd_irt}.",
        )
    if in_response_to is not None and scd_irt is None and root.find(q("Signature", ns.DS)) is None:
        # Nothing signed says this answers a request: an unsolicited Assertion re-wrapped to look solicited.
        raise v.fail(
            "InResponseTo",
            Reason.IN_RESPONSE_TO_MISMATCH,
            f"The unsigned Response claims to answer {in_response_to}, but the signed Assertion answers no request.",
        )
    in_response_to = in_response_to or scd_irt
    if not in_response_to:
        if not v.sub.allow_idp_initiated:
            raise v.fail(
                "InResponseTo",
                Reason.UNSOLICITED_NOT_ALLOWED,
                "IdP-initiated login is not allowed for this subscription.",
            )
        v.ok("InResponseTo", "absent: IdP-initiated login, allowed for this subscription")
        return None
    # Look before taking: a Response posted by another browser must not use up (and so cancel)
    # the request that the rightful browser is still waiting to have answered.
    waiting = v.peek_request(in_response_to)
    if waiting is not None and not v.same_session(waiting):
        raise v.other_session(in_response_to)
    req = v.take_request(in_response_to)
    if req is None:
        raise v.fail(
            "InResponseTo",
            Reason.IN_RESPONSE_TO_UNKNOWN,
            f"InResponseTo {in_response_to} names no request that is waiting for an answer "
            "(never sent, already answered, or expired).",
        )
    if not v.same_session(req):
        raise v.other_session(in_response_to)
    v.request = req
    v.ok("InResponseTo", f"answers {in_response_to}, sent by this browser")
    return in_response_to


def check_authn_statements(v: Validator, a: etree._Element) -> etree._Element:
    """At least one AuthnStatement; an ended session in any of them ends it. Returns the first."""
    statements = a.findall(q("AuthnStatement"))
    if not statements:
        raise v.fail("AuthnStatement", Reason.AUTHN_STATEMENT_MISSING, "The Assertion has no AuthnStatement.")
    for st in statements:
        v.check_instant(
            "AuthnStatement SessionNotOnOrAfter", st.get("SessionNotOnOrAfter"), required=False, before=True
        )
    return statements[0]


def read_attributes(a: etree._Element) -> dict[str, list[str]]:
    """Name -> values of every Attribute in the Assertion's AttributeStatements, in order."""
    attributes: dict[str, list[str]] = {}
    value_tag = q("AttributeValue")
    for attr in a.iterfind(f"{q('AttributeStatement')}/{q('Attribute')}"):
        values = attributes.setdefault(attr.get("Name", ""), [])
        values.extend(string_of(v) for v in attr.iterchildren(value_tag))  # direct children, as findall()
    return attributes
