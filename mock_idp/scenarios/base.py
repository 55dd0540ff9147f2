"""What every attack scenario is made of: a context (the legitimate ingredients) and a builder.

A `Scenario` names one rule a SAML SP must enforce, the reason codes with which a safe SP
refuses a message that breaks it, and a function from a `Context` to the bad `Message` (the
form fields an attacker posts to the ACS). The context holds what a legitimate login is made
of (the IdP's EntityID, key and certificate, how the IdP answers the SP, the attacker's own
user, the victim to impersonate, the request being answered) plus a foreign key pair, so
each builder starts from a genuinely signed Response and bends it.

`needs` tells the runner what must happen around the POST; see the NEEDS_* constants.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import EllipsisType
from typing import Any

from lxml import etree

from mock_idp.contract import subject_value
from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, encrypt_outside, new_id
from samlkit import codec, ns, xmldsig

# -- what the runner must arrange ------------------------------------------------------------

NEEDS_REQUEST = "request"  # the message answers an AuthnRequest this browser sent (skipped without a login URL)
NEEDS_NO_REQUEST = "no-request"  # post unsolicited, even when a login URL is known
NEEDS_UNSOLICITED_OFF = "unsolicited-off"  # the SP must not allow IdP-initiated logins for this run
NEEDS_PRIOR_LOGIN = "prior-login"  # a legitimate login completes first; `Context.previous` holds its message
NEEDS_FRESH_BROWSER = "fresh-browser"  # the bad message comes from another browser (no cookies of the login)
NEEDS_ENCRYPTION = "encryption"  # the SP's encryption certificate is known (`Context.sp.encryption_cert_pem`)
NEEDS = frozenset(
    {NEEDS_REQUEST, NEEDS_NO_REQUEST, NEEDS_UNSOLICITED_OFF, NEEDS_PRIOR_LOGIN, NEEDS_FRESH_BROWSER, NEEDS_ENCRYPTION}
)

# -- what "the SP fell for it" means ----------------------------------------------------------

HARM_SESSION = "session"  # a session opened (or the SP answered 2xx/3xx without a refusal)
HARM_OFFSITE_REDIRECT = "offsite-redirect"  # the SP redirected the browser off-site
HARM_IMPERSONATION = "impersonation"  # a session opened for the victim (any session, when the SP does not say whose)

# Reason codes shared by many scenarios (the embedded SP's codes, sp/refusal.py).
SIGNATURE_FAILURES = frozenset({"signature-invalid", "signature-missing", "signature-wrong-reference"})
WRAPPING_REFUSALS = frozenset({"assertion-count", "duplicate-id"}) | SIGNATURE_FAILURES


@dataclass
class Message:
    """The form an attacker posts to the ACS, and the XML inside it (for display and diffs)."""

    fields: dict[str, str]
    xml: bytes | None = None


@dataclass
class Context:
    """The ingredients of a legitimate login, and an attacker's extras."""

    idp_entity_id: str
    idp_key_pem: bytes
    idp_cert_pem: bytes
    sp: SPSettings  # entity_id, acs_url, NameID format and source, attributes released
    user: IdPUser  # the attacker's own, legitimate account at the IdP
    victim: IdPUser  # whom a forgery impersonates
    foreign_key_pem: bytes  # an attacker's key pair, trusted by nobody
    foreign_cert_pem: bytes
    in_response_to: str | None = None  # the AuthnRequest being answered (None: unsolicited)
    relay_state: str | None = None  # echoed back, as the IdP would
    canary_url: str = "http://127.0.0.1:9"  # an attacker-controlled URL: a fetch means the SP followed it
    previous: Message | None = None  # with NEEDS_PRIOR_LOGIN: the legitimate message already accepted
    now: dt.datetime | None = None
    sig_hash: str = "sha256"

    def with_(self, **changes: Any) -> Context:
        return replace(self, **changes)

    # -- identities ---------------------------------------------------------------------

    def name_id(self, user: IdPUser | None = None) -> str:
        """The NameID value the IdP would send for `user` (the attacker by default)."""
        return subject_value(user or self.user, self.sp)

    @property
    def victim_name_id(self) -> str:
        return self.name_id(self.victim)

    # -- building -----------------------------------------------------------------------

    def build(
        self,
        *,
        user: IdPUser | None = None,
        in_response_to: str | EllipsisType | None = ...,
        now: dt.datetime | None = None,
    ) -> tuple[etree._Element, etree._Element]:
        """An unsigned Response and its Assertion, as the IdP would make them."""
        irt = self.in_response_to if in_response_to is ... else in_response_to
        return build_unsigned(
            idp_entity_id=self.idp_entity_id,
            sp=replace(self.sp, clock_offset=0),
            user=user or self.user,
            in_response_to=irt,
            now=now or self.now,
        )

    def sign(
        self,
        resp: etree._Element,
        assertion: etree._Element,
        mode: str = "both",
        *,
        hash_name: str | None = None,
        digest: str | None = None,
        key_pem: bytes | None = None,
        cert_pem: bytes | None = None,
    ) -> None:
        """Sign the Assertion and/or the Response (assertion first, so the outer digest covers it).

        Without `key_pem` the trusted IdP key signs and its certificate goes in KeyInfo; with it,
        `cert_pem` (if any) goes in KeyInfo.
        """
        key = key_pem or self.idp_key_pem
        cert = cert_pem if key_pem is not None else self.idp_cert_pem
        h = hash_name or self.sig_hash
        if mode in ("assertion", "both"):
            xmldsig.sign(assertion, key, cert, hash_name=h, digest=digest or h)
        if mode in ("response", "both"):
            xmldsig.sign(resp, key, cert, hash_name=h, digest=digest or h)

    def signed(
        self,
        mode: str = "both",
        *,
        edit: Callable[[etree._Element, etree._Element], None] | None = None,
        **build: object,
    ) -> tuple[etree._Element, etree._Element]:
        """A Response signed by the trusted IdP key; `edit` bends it before signing."""
        resp, assertion = self.build(**build)  # type: ignore[arg-type]
        if edit is not None:
            edit(resp, assertion)
        self.sign(resp, assertion, mode)
        return resp, assertion

    def message(self, root: etree._Element | bytes, *, relay_state: str | EllipsisType | None = ...) -> Message:
        """The POST form for `root` (an element or XML bytes), with the context's RelayState."""
        xml = root if isinstance(root, bytes) else serialize(root)
        fields = {"SAMLResponse": codec.encode_post(xml)}
        relay = self.relay_state if relay_state is ... else relay_state
        if relay:
            fields["RelayState"] = relay
        return Message(fields, xml)

    def legitimate(self) -> Message:
        """What the IdP would send: a Response and Assertion both signed, answering the request
        (the Assertion encrypted between the two signatures when the IdP encrypts for this SP)."""
        resp, assertion = self.build()
        self.sign(resp, assertion, "assertion")
        encrypt_outside(assertion, self.sp)
        self.sign(resp, assertion, "response")
        return self.message(resp)


@dataclass(frozen=True)
class Scenario:
    """One rule, one bad message, and what a safe SP answers."""

    name: str
    family: str
    rule: str  # the rule the message breaks, in one sentence
    expect: frozenset[str]  # reason codes a safe SP may refuse with (the embedded SP's vocabulary)
    build: Callable[[Context], Message] = field(compare=False, repr=False)
    needs: frozenset[str] = frozenset()
    harm: str = HARM_SESSION  # what acceptance means
    legitimate: bool = False  # True only for the baseline: a safe SP must accept it

    @property
    def summary(self) -> str:
        """The first line of the builder's docstring: what the message does."""
        doc = (self.build.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else self.rule

    @property
    def safe_sp(self) -> str:
        """What a safe SP must do, in words."""
        if self.legitimate:
            return "accept: open a session"
        if self.harm == HARM_OFFSITE_REDIRECT:
            return f"never redirect off-site: refuse ({', '.join(sorted(self.expect))}) or ignore the RelayState"
        if self.harm == HARM_IMPERSONATION:
            return f"never log in the victim: refuse ({', '.join(sorted(self.expect))}) or ignore the decoy"
        return f"refuse, no session ({', '.join(sorted(self.expect))})"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "family": self.family,
            "rule": self.rule,
            "summary": self.summary,
            "safe_sp": self.safe_sp,
            "expect": sorted(self.expect),
            "needs": sorted(self.needs),
            "harm": self.harm,
            "legitimate": self.legitimate,
        }


def scenario(
    name: str,
    *,
    family: str,
    rule: str,
    expect: set[str] | frozenset[str],
    needs: set[str] | frozenset[str] = frozenset(),
    harm: str = HARM_SESSION,
) -> Callable[[Callable[[Context], Message]], Scenario]:
    """Decorator: the builder function becomes a `Scenario` (its docstring says what it does)."""
    unknown = set(needs) - NEEDS
    if unknown:
        raise ValueError(f"{name}: unknown needs {sorted(unknown)}")

    def wrap(fn: Callable[[Context], Message]) -> Scenario:
        return Scenario(
            name=name,
            family=family,
            rule=rule,
            expect=frozenset(expect),
            build=fn,
            needs=frozenset(needs),
            harm=harm,
        )

    return wrap


def _baseline(ctx: Context) -> Message:
    """A genuine Response for the attacker's own account, signed as the IdP signs it."""
    return ctx.legitimate()


BASELINE = Scenario(
    name="legitimate",
    family="baseline",
    rule="None: this is the message the IdP would send; it proves the battery can tell acceptance from refusal.",
    expect=frozenset(),
    build=_baseline,
    legitimate=True,
)


# -- tree helpers shared by the families ---------------------------------------------------------


def q(local: str, nsuri: str = ns.SAML) -> str:
    return ns.q(nsuri, local)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def signature_of(element: etree._Element) -> etree._Element:
    """The element's own ds:Signature; a scenario asks only for one it signed."""
    sig = element.find(q("Signature", ns.DS))
    if sig is None:
        raise ValueError(f"the {etree.QName(element).localname} is not signed")
    return sig


def strip_signature(element: etree._Element) -> None:
    """Remove the direct ds:Signature children of `element`."""
    for sig in element.findall(q("Signature", ns.DS)):
        element.remove(sig)


def unsigned_copy(element: etree._Element) -> etree._Element:
    """A deep copy without its own enveloped signature: what that signature's digest covers."""
    clone = copy.deepcopy(element)
    strip_signature(clone)
    return clone


def name_id_el(assertion: etree._Element) -> etree._Element:
    return assertion.find(f"{q('Subject')}/{q('NameID')}")


def set_name_id(assertion: etree._Element, value: str) -> None:
    name_id_el(assertion).text = value


def subject_confirmation_data(assertion: etree._Element) -> etree._Element:
    return assertion.find(f"{q('Subject')}/{q('SubjectConfirmation')}/{q('SubjectConfirmationData')}")


def conditions(assertion: etree._Element) -> etree._Element:
    return assertion.find(q("Conditions"))


def evil_assertion(ctx: Context, assertion: etree._Element, *, keep_id: bool = False) -> etree._Element:
    """An unsigned copy of `assertion` that names the victim (with a fresh ID unless `keep_id`)."""
    evil = unsigned_copy(assertion)
    if not keep_id:
        evil.set("ID", new_id())
    set_name_id(evil, ctx.victim_name_id)
    return evil


def samlp_extensions(resp: etree._Element) -> etree._Element:
    """A samlp:Extensions element in its schema place (after Issuer and Signature, before Status)."""
    ext = etree.Element(q("Extensions", ns.SAMLP))
    resp.find(q("Status", ns.SAMLP)).addprevious(ext)
    return ext


def instant(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow(ctx: Context) -> dt.datetime:
    return ctx.now or dt.datetime.now(dt.UTC)
