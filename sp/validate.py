"""Validate a posted SAMLResponse against one subscription's trust (DESIGN.md §5).

Runs on lxml and the strict in-process verifier, and reads the identity only from the
element whose signature was verified. Each rule is recorded as a check for the trace; the
first failure raises a `Refusal` carrying the checks made so far.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from samlkit import codec, ns, xmldsig
from samlkit.safexml import UnsafeXML, id_values, parse
from sp import decrypt
from sp.model import Subscription
from sp.refusal import Refusal


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


def _q(local: str, nsuri: str = ns.SAML) -> str:
    return ns.q(nsuri, local)


def _string(el: etree._Element) -> str:
    """XPath string() of `el`: its text nodes joined, comments skipped. An element without child
    nodes needs no XPath call, which costs ~10 us (it compiles the expression each time)."""
    if len(el) == 0:
        return el.text or ""
    return el.xpath("string()")


def issuers_of(root: etree._Element) -> set[str]:
    """The Issuer values of the Response and of its direct Assertions: who claims to speak."""
    found = root.findall(_q("Issuer")) + root.findall(f"{_q('Assertion')}/{_q('Issuer')}")
    return {_string(el) for el in found}


def _looks_deflated(data: bytes) -> bool:
    """True when `data` is not XML but raw DEFLATE that inflates to XML (a Redirect-style value)."""
    if data.lstrip()[:1] in (b"<", b""):
        return False
    try:
        out = zlib.decompressobj(-15).decompress(data, 64)
    except zlib.error:
        return False
    return out.lstrip().startswith(b"<")


_ENCODING_DECL = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}


def _not_utf8(data: bytes) -> str | None:
    """Why `data` is not plain UTF-8 XML, or None.

    The DOCTYPE check scans bytes before parsing, and libxml2 honours UTF-16, UTF-7, EBCDIC...:
    in those a DOCTYPE hides from the scan and its external parameter entities get loaded.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in body:
        return "it contains NUL bytes (UTF-16 or UTF-32)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not valid UTF-8"
    m = _ENCODING_DECL.match(body.lstrip())
    if m and m.group(1).decode("ascii", "replace").strip().lower() not in _UTF8_NAMES:
        return f"it declares the encoding {m.group(1).decode('ascii', 'replace')!r}"
    return None


_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def parse_instant(value: str | None) -> dt.datetime | None:
    """An xs:dateTime as an aware UTC datetime; None when the value is not one.

    Only the xs:dateTime form is read (no bare dates, week dates or basic format, which
    `fromisoformat` takes), without a zone it is UTC, and an instant that falls outside
    Python's years 1-9999 once in UTC is not a time either (it used to raise OverflowError).
    """
    if value is None:
        return None
    m = _DATETIME.fullmatch(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        t = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=dt.UTC)
        if zone and zone != "Z":
            offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            if offset > dt.timedelta(hours=14):
                return None
            t = t - offset if zone[0] == "+" else t + offset
    except (ValueError, OverflowError):
        return None
    return t


class Validator:
    """One validation run. `take_request(id)` removes and returns the outstanding request (or
    None); `peek_request(id)` returns it without removing it.

    The run has three stages so that the SP can choose among subscriptions that trust the
    same IdP EntityID: `read` (decode and parse, no trust needed), `check_trust` (the envelope
    and the signatures against one subscription's certificate) and `finish` (everything else,
    including consuming the outstanding request). `for_subscription` forks a reader.
    """

    def __init__(
        self,
        *,
        sub: Subscription | None,
        sp_entity_id: str,
        acs_url: str,
        skew: int,
        take_request: Callable[[str], dict | None],
        peek_request: Callable[[str], dict | None] = lambda _id: None,
        seen: Callable[[str], bool] = lambda _id: False,
        browser: str | None,
        now: dt.datetime | None = None,
        max_bytes: int = codec.MAX_MESSAGE_BYTES,
    ):
        self._sub = sub
        self.sp_entity_id = sp_entity_id
        self.acs_url = acs_url
        self.skew = dt.timedelta(seconds=skew)
        self.take_request = take_request
        self.peek_request = peek_request
        self.seen = seen
        self.browser = browser
        self.now = now or dt.datetime.now(dt.UTC)
        self.max_bytes = max_bytes
        self.checks: list[dict] = []
        self.request: dict | None = None
        self.response_verified = False  # set when the Response's signature was checked before decryption

    @property
    def sub(self) -> Subscription:
        if self._sub is None:
            raise RuntimeError("this Validator only reads: fork it with for_subscription() first")
        return self._sub

    def for_subscription(self, sub: Subscription) -> Validator:
        """A validator for `sub` that carries the checks made so far (by `read`)."""
        fork = copy.copy(self)
        fork._sub = sub
        fork.checks = list(self.checks)
        fork.request = None
        return fork

    def ok(self, name: str, detail: str = "") -> None:
        self.checks.append({"name": name, "ok": True, "detail": detail})

    def fail(self, name: str, code: str, message: str) -> Refusal:
        self.checks.append({"name": name, "ok": False, "detail": message})
        return Refusal(code, message, checks=self.checks)

    def run(self, value: str | None) -> Identity:
        root = self.read(value)
        assertion = self.check_trust(root)
        return self.finish(root, assertion)

    def read(self, value: str | None) -> etree._Element:
        """Decode the posted value (plain base64, never inflated) and parse it safely."""
        if not value:
            raise self.fail("Message", "message-missing", "No SAMLResponse was posted to the ACS.")
        try:
            xml = codec.decode_post(value, self.max_bytes)
        except codec.DecodeError as err:
            code = "message-too-large" if "larger" in str(err) else "malformed-message"
            raise self.fail("Message", code, f"The SAMLResponse cannot be decoded: {err}.") from err
        if _looks_deflated(xml):
            raise self.fail(
                "Message",
                "malformed-message",
                "The SAMLResponse is DEFLATE-compressed; the HTTP-POST binding carries plain base64 "
                "(only HTTP-Redirect deflates), so it is refused.",
            )
        problem = _not_utf8(xml)
        if problem:
            raise self.fail(
                "XML safety",
                "malformed-xml",
                f"The SAMLResponse was refused before parsing: {problem}; only UTF-8 is accepted, "
                "so that no DOCTYPE or entity can hide in another encoding.",
            )
        try:
            root = parse(xml, self.max_bytes)
        except UnsafeXML as err:
            raise self.fail(
                "XML safety", err.code, f"The SAMLResponse was refused before parsing: {err.message}."
            ) from err
        self.ok("XML safety", "no DOCTYPE, no entities, bounded size and depth")
        self._check_protocol(root)
        return root

    def check_trust(self, root: etree._Element) -> etree._Element:
        """The envelope, the one Assertion and the signatures; returns the verified Assertion."""
        self._check_envelope(root)
        root = decrypt.open_assertion(self, root)  # a decrypted copy when the Assertion is encrypted
        assertion = self._single_assertion(root)
        self._check_signatures(root, assertion)
        decrypt.open_identifiers(self, assertion)
        return assertion

    def finish(self, root: etree._Element, assertion: etree._Element) -> Identity:
        if self.seen(assertion.get("ID", "")):
            raise self.fail("Replay", "replayed", f"The Assertion {assertion.get('ID')} was already used.")
        return self._check_assertion(root, assertion)

    # -- the Response -------------------------------------------------------------------

    def _check_protocol(self, root: etree._Element) -> None:
        if root.tag != _q("Response", ns.SAMLP):
            if etree.QName(root).namespace in ("urn:oasis:names:tc:SAML:1.0:protocol",):
                raise self.fail("Protocol", "not-saml2", "This is a SAML 1.x message; only SAML 2.0 is supported.")
            raise self.fail(
                "Protocol", "not-a-response", f"The message is a {etree.QName(root).localname}, not a Response."
            )
        if root.get("Version") != "2.0":
            raise self.fail("Protocol", "not-saml2", f"Version is {root.get('Version')!r}; only SAML 2.0 is supported.")
        self.ok("Protocol", "SAML 2.0 Response")

    def _check_envelope(self, root: etree._Element) -> None:
        dups = [k for k, n in Counter(id_values(root)).items() if n > 1]
        if dups:
            raise self.fail("Unique IDs", "duplicate-id", f"The ID {dups[0]!r} occurs more than once in the message.")
        issuer = root.find(_q("Issuer"))
        if issuer is not None:
            value = _string(issuer)
            if value != self.sub.idp_entity_id:
                raise self.fail(
                    "Issuer",
                    "issuer-mismatch",
                    f"The Response was issued by {value!r}, but this subscription trusts {self.sub.idp_entity_id!r}.",
                )
        dest = root.get("Destination")
        signed = root.find(_q("Signature", ns.DS)) is not None
        if dest is None and signed:
            raise self.fail("Destination", "destination-mismatch", "The signed Response has no Destination.")
        if dest is not None and dest != self.acs_url:
            raise self.fail(
                "Destination",
                "destination-mismatch",
                f"The Response is addressed to {dest}, not to this ACS ({self.acs_url}).",
            )
        self.ok("Destination", dest or "absent (unsigned Response)")
        code = root.find(f"{_q('Status', ns.SAMLP)}/{_q('StatusCode', ns.SAMLP)}")
        status = code.get("Value") if code is not None else None
        if status != ns.STATUS_SUCCESS:
            sub_code = code.find(_q("StatusCode", ns.SAMLP)) if code is not None else None
            msg_el = root.find(f"{_q('Status', ns.SAMLP)}/{_q('StatusMessage', ns.SAMLP)}")
            extra = f" ({sub_code.get('Value')})" if sub_code is not None else ""
            text = f": {msg_el.text}" if msg_el is not None and msg_el.text else ""
            raise self.fail("Status", "status-not-success", f"The IdP answered {status}{extra}{text}.")
        self.ok("Status", "Success")

    def _single_assertion(self, root: etree._Element) -> etree._Element:
        if root.find(f".//{_q('EncryptedAssertion')}") is not None:
            raise self.fail("Assertion", "encrypted-assertion-unsupported", "Encrypted assertions are not supported.")
        # Counted by local name: a look-alike "Assertion" in another namespace is a decoy for
        # SPs that select by local-name(), and has no business in a Response either.
        everywhere = list(root.iter("{*}Assertion"))  # any namespace or none; the filter runs in C
        direct = root.findall(_q("Assertion"))
        if len(everywhere) != 1 or len(direct) != 1:
            raise self.fail(
                "Assertion",
                "assertion-count",
                f"The Response holds {len(everywhere)} Assertion element(s) ({len(direct)} in place); "
                "exactly one is allowed.",
            )
        self.ok("Assertion", "exactly one")
        return direct[0]

    def _verify(self, label: str, element: etree._Element) -> None:
        try:
            v = xmldsig.verify(element, self.sub.idp_cert_pem)
        except xmldsig.SignatureProblem as err:
            raise self.fail(f"{label} signature", err.code, f"{label}: {err.message}.") from err
        self.ok(f"{label} signature", f"verifies with the trusted certificate ({v.sig_alg}, digest {v.digest_alg})")

    def _check_signatures(self, root: etree._Element, assertion: etree._Element) -> None:
        response_signed = root.find(_q("Signature", ns.DS)) is not None
        assertion_signed = assertion.find(_q("Signature", ns.DS)) is not None
        if response_signed and not self.response_verified:
            self._verify("Response", root)
        if assertion_signed:
            self._verify("Assertion", assertion)
        elif self.sub.require_signed_assertion or not response_signed:
            what = (
                "the Assertion is not signed" if response_signed else "neither the Response nor the Assertion is signed"
            )
            hint = (
                " Have the IdP sign the Assertion too, or turn off this subscription's"
                " “Require a signed Assertion” to accept the Response's signature alone."
                if response_signed
                else ""
            )
            raise self.fail(
                "Assertion signature", "signature-missing", f"A signed Assertion is required, but {what}.{hint}"
            )

    def _same_session(self, req: dict) -> bool:
        return req["idm_key"] == self.sub.idm_key and req["browser"] == self.browser

    def _other_session(self, request_id: str) -> Refusal:
        return self.fail(
            "InResponseTo",
            "in-response-to-other-session",
            f"The request {request_id} was sent by another browser or for another subscription.",
        )

    # -- the Assertion ------------------------------------------------------------------

    def _time(self, name: str, value: str | None, *, required: bool, before: bool) -> None:
        """`before`: the instant must be in the future (NotOnOrAfter); else in the past (NotBefore)."""
        if value is None:
            if required:
                raise self.fail("Time window", "time-missing", f"{name} is missing.")
            return
        t = parse_instant(value)
        if t is None:
            raise self.fail("Time window", "time-missing", f"{name} {value!r} is not a valid time.")
        if before and self.now - self.skew >= t:  # not t + skew: NotOnOrAfter may be 9999-12-31T23:59:59Z
            raise self.fail("Time window", "expired", f"{name} is {value}; it is now {self.now:%Y-%m-%dT%H:%M:%SZ}.")
        if not before and self.now + self.skew < t:
            raise self.fail(
                "Time window", "not-yet-valid", f"{name} is {value}; it is now {self.now:%Y-%m-%dT%H:%M:%SZ}."
            )

    def _check_assertion(self, root: etree._Element, a: etree._Element) -> Identity:
        if a.get("Version") != "2.0":
            raise self.fail("Protocol", "not-saml2", "The Assertion is not SAML 2.0.")
        issuer = a.find(_q("Issuer"))
        issuer_value = _string(issuer) if issuer is not None else ""
        if issuer_value != self.sub.idp_entity_id:
            raise self.fail(
                "Issuer",
                "issuer-mismatch",
                f"The Assertion was issued by {issuer_value!r}, "
                f"but this subscription trusts {self.sub.idp_entity_id!r}.",
            )
        self.ok("Issuer", issuer_value)

        subject = a.find(_q("Subject"))
        if subject is None:
            raise self.fail("Subject", "subject-missing", "The Assertion has no Subject.")
        bearer = [c for c in subject.findall(_q("SubjectConfirmation")) if c.get("Method") == ns.CM_BEARER]
        if not bearer:
            methods = [c.get("Method") for c in subject.findall(_q("SubjectConfirmation"))]
            raise self.fail(
                "Bearer", "bearer-missing", f"No bearer SubjectConfirmation (methods: {methods or 'none'})."
            )
        scd = bearer[0].find(_q("SubjectConfirmationData"))
        if scd is None:
            raise self.fail(
                "Recipient", "recipient-mismatch", "The bearer confirmation has no SubjectConfirmationData."
            )
        recipient = scd.get("Recipient")
        if recipient != self.acs_url:
            raise self.fail(
                "Recipient", "recipient-mismatch", f"The Recipient is {recipient!r}, not this ACS ({self.acs_url})."
            )
        self.ok("Recipient", recipient)
        self._time("SubjectConfirmationData NotOnOrAfter", scd.get("NotOnOrAfter"), required=True, before=True)
        self._time("SubjectConfirmationData NotBefore", scd.get("NotBefore"), required=False, before=False)

        # IssueInstant is required on both (SAML core §2.3.3, §3.2.2) and used to go unread, garbage
        # or absent. Its presence and form are checked; the window itself is NotBefore/NotOnOrAfter's.
        for name, value in (
            ("Response IssueInstant", root.get("IssueInstant")),
            ("Assertion IssueInstant", a.get("IssueInstant")),
        ):
            if parse_instant(value) is None:
                detail = f"{name} is missing." if value is None else f"{name} {value!r} is not a valid time."
                raise self.fail("Time window", "time-missing", detail)
        # The schema allows one Conditions; were there more, each must hold (a second one naming
        # another Audience used to be ignored).
        conditions = a.findall(_q("Conditions"))
        if not conditions:
            raise self.fail("Audience", "audience-mismatch", "The Assertion has no Conditions, so no Audience.")
        for cond in conditions:
            self._time("Conditions NotBefore", cond.get("NotBefore"), required=False, before=False)
            self._time("Conditions NotOnOrAfter", cond.get("NotOnOrAfter"), required=False, before=True)
        self.ok("Time window", f"now {self.now:%H:%M:%S}Z within the assertion's window (skew {self.skew.seconds}s)")
        restrictions = [r for cond in conditions for r in cond.findall(_q("AudienceRestriction"))]
        if not restrictions:
            raise self.fail("Audience", "audience-mismatch", "The Assertion has no AudienceRestriction.")
        for r in restrictions:
            audiences = [_string(el) for el in r.findall(_q("Audience"))]
            if self.sp_entity_id not in audiences:
                raise self.fail(
                    "Audience",
                    "audience-mismatch",
                    f"The Audience is {audiences}, but this SP is {self.sp_entity_id!r}.",
                )
        self.ok("Audience", self.sp_entity_id)
        # One Subject names one principal (a choice of BaseID, NameID or EncryptedID). Were there
        # two, the first used to win: refuse rather than pick whom to log in.
        identifiers = [el for el in subject if el.tag in (_q("NameID"), _q("BaseID"), _q("EncryptedID"))]
        if len(identifiers) > 1:
            raise self.fail(
                "Subject",
                "identity-ambiguous",
                f"The Subject names {len(identifiers)} principals "
                f"({', '.join(etree.QName(el).localname for el in identifiers)}); exactly one is allowed.",
            )
        name_id_scope = subject.find(_q("NameID"))
        qualifier = name_id_scope.get("SPNameQualifier") if name_id_scope is not None else None
        if qualifier is not None and qualifier != self.sp_entity_id:
            raise self.fail(
                "Audience",
                "audience-mismatch",
                f"The NameID is qualified for the SP {qualifier!r}, not this SP ({self.sp_entity_id!r}).",
            )

        in_response_to = root.get("InResponseTo")
        scd_irt = scd.get("InResponseTo")
        if scd_irt is not None and in_response_to is not None and scd_irt != in_response_to:
            raise self.fail(
                "InResponseTo",
                "in-response-to-mismatch",
                f"The Response answers {in_response_to} but the Assertion {scd_irt}.",
            )
        if in_response_to is not None and scd_irt is None and root.find(_q("Signature", ns.DS)) is None:
            # Nothing signed says this answers a request: an unsolicited Assertion re-wrapped to look solicited.
            raise self.fail(
                "InResponseTo",
                "in-response-to-mismatch",
                f"The unsigned Response claims to answer {in_response_to}, "
                "but the signed Assertion answers no request.",
            )
        in_response_to = in_response_to or scd_irt
        if in_response_to:
            # Look before taking: a Response posted by another browser must not use up (and so
            # cancel) the request that the rightful browser is still waiting to have answered.
            waiting = self.peek_request(in_response_to)
            if waiting is not None and not self._same_session(waiting):
                raise self._other_session(in_response_to)
            req = self.take_request(in_response_to)
            if req is None:
                raise self.fail(
                    "InResponseTo",
                    "in-response-to-unknown",
                    f"InResponseTo {in_response_to} names no request that is waiting for an answer "
                    "(never sent, already answered, or expired).",
                )
            if not self._same_session(req):
                raise self._other_session(in_response_to)
            self.request = req
            self.ok("InResponseTo", f"answers {in_response_to}, sent by this browser")
        else:
            if not self.sub.allow_idp_initiated:
                raise self.fail(
                    "InResponseTo",
                    "unsolicited-not-allowed",
                    "IdP-initiated login is not allowed for this subscription.",
                )
            self.ok("InResponseTo", "absent: IdP-initiated login, allowed for this subscription")

        statements = a.findall(_q("AuthnStatement"))
        if not statements:
            raise self.fail("AuthnStatement", "authn-statement-missing", "The Assertion has no AuthnStatement.")
        for st in statements:  # an ended session in any of them ends it (only the first was read)
            self._time("AuthnStatement SessionNotOnOrAfter", st.get("SessionNotOnOrAfter"), required=False, before=True)
        statement = statements[0]
        ctx = statement.find(f"{_q('AuthnContext')}/{_q('AuthnContextClassRef')}")

        name_id_el = subject.find(_q("NameID"))
        attributes: dict[str, list[str]] = {}
        value_tag = _q("AttributeValue")
        for attr in a.iterfind(f"{_q('AttributeStatement')}/{_q('Attribute')}"):
            values = attributes.setdefault(attr.get("Name", ""), [])
            for v in attr.iterchildren(value_tag):  # the direct children findall() gave, ~3x faster
                values.append(_string(v))
        expiries = [
            parse_instant(x)
            for x in (scd.get("NotOnOrAfter"), *(c.get("NotOnOrAfter") for c in conditions))
            if x is not None and parse_instant(x) is not None
        ]
        expires = max(expiries).timestamp() + self.skew.total_seconds()
        return Identity(
            assertion_id=a.get("ID", ""),
            issuer=issuer_value,
            # string() joins all text nodes and drops comments: "admin<!---->.evil" reads "admin.evil".
            name_id=_string(name_id_el) if name_id_el is not None else "",
            name_id_format=name_id_el.get("Format", "") if name_id_el is not None else "",
            attributes=attributes,
            session_index=statement.get("SessionIndex", ""),
            in_response_to=in_response_to,
            expires=expires,
            authn_context=_string(ctx) if ctx is not None else "",
        )
