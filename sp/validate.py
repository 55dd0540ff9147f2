"""Validate a posted SAMLResponse against one subscription's trust (docs/ARCHITECTURE.md, security baseline).

Runs on lxml and the strict in-process verifier, and reads the identity only from the
element whose signature was verified. Each rule is recorded as a check for the trace; the
first failure raises a `Refusal` carrying the checks made so far.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Callable

from lxml import etree

from samlkit import codec, ns, xmldsig
from samlkit.events import Check
from samlkit.safexml import UnsafeXML, id_values, parse
from sp import decrypt, trust
from sp.assertion_checks import Identity, check_assertion
from sp.contract.reasons import Reason, Refusal
from sp.model import Subscription
from sp.saml_read import issuers_of, looks_deflated, not_utf8, parse_instant, q, string_of


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
        self.checks: list[Check] = []
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
        self.checks.append(Check(name, True, detail))

    def fail(self, name: str, code: Reason | str, message: str) -> Refusal:
        self.checks.append(Check(name, False, message))
        return Refusal(code, message, checks=self.checks)

    def run(self, value: str | None) -> Identity:
        root = self.read(value)
        assertion = self.check_trust(root)
        return self.finish(root, assertion)

    def read(self, value: str | None) -> etree._Element:
        """Decode the posted value (plain base64, never inflated) and parse it safely."""
        if not value:
            raise self.fail("Message", Reason.MESSAGE_MISSING, "No SAMLResponse was posted to the ACS.")
        try:
            xml = codec.decode_post(value, self.max_bytes)
        except codec.DecodeError as err:
            code = Reason.MESSAGE_TOO_LARGE if "larger" in str(err) else Reason.MALFORMED_MESSAGE
            raise self.fail("Message", code, f"The SAMLResponse cannot be decoded: {err}.") from err
        if looks_deflated(xml):
            raise self.fail(
                "Message",
                Reason.MALFORMED_MESSAGE,
                "The SAMLResponse is DEFLATE-compressed; the HTTP-POST binding carries plain base64 "
                "(only HTTP-Redirect deflates), so it is refused.",
            )
        problem = not_utf8(xml)
        if problem:
            raise self.fail(
                "XML safety",
                Reason.MALFORMED_XML,
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
            raise self.fail("Replay", Reason.REPLAYED, f"The Assertion {assertion.get('ID')} was already used.")
        return check_assertion(self, root, assertion)

    # -- the Response -------------------------------------------------------------------

    def _check_protocol(self, root: etree._Element) -> None:
        if root.tag != q("Response", ns.SAMLP):
            if etree.QName(root).namespace in ("urn:oasis:names:tc:SAML:1.0:protocol",):
                raise self.fail("Protocol", Reason.NOT_SAML2, "This is a SAML 1.x message; only SAML 2.0 is supported.")
            raise self.fail(
                "Protocol", Reason.NOT_A_RESPONSE, f"The message is a {etree.QName(root).localname}, not a Response."
            )
        if root.get("Version") != "2.0":
            raise self.fail(
                "Protocol", Reason.NOT_SAML2, f"Version is {root.get('Version')!r}; only SAML 2.0 is supported."
            )
        self.ok("Protocol", "SAML 2.0 Response")

    def _check_envelope(self, root: etree._Element) -> None:
        dups = [k for k, n in Counter(id_values(root)).items() if n > 1]
        if dups:
            raise self.fail(
                "Unique IDs", Reason.DUPLICATE_ID, f"The ID {dups[0]!r} occurs more than once in the message."
            )
        issuer = root.find(q("Issuer"))
        if issuer is not None:
            value = string_of(issuer)
            if value != self.sub.idp_entity_id:
                raise self.fail(
                    "Issuer",
                    Reason.ISSUER_MISMATCH,
                    f"The Response was issued by {value!r}, but this subscription trusts {self.sub.idp_entity_id!r}.",
                )
        dest = root.get("Destination")
        signed = root.find(q("Signature", ns.DS)) is not None
        if dest is None and signed:
            raise self.fail("Destination", Reason.DESTINATION_MISMATCH, "The signed Response has no Destination.")
        if dest is not None and dest != self.acs_url:
            raise self.fail(
                "Destination",
                Reason.DESTINATION_MISMATCH,
                f"The Response is addressed to {dest}, not to this ACS ({self.acs_url}).",
            )
        self.ok("Destination", dest or "absent (unsigned Response)")
        code = root.find(f"{q('Status', ns.SAMLP)}/{q('StatusCode', ns.SAMLP)}")
        status = code.get("Value") if code is not None else None
        if status != ns.STATUS_SUCCESS:
            sub_code = code.find(q("StatusCode", ns.SAMLP)) if code is not None else None
            msg_el = root.find(f"{q('Status', ns.SAMLP)}/{q('StatusMessage', ns.SAMLP)}")
            extra = f" ({sub_code.get('Value')})" if sub_code is not None else ""
            text = f": {msg_el.text}" if msg_el is not None and msg_el.text else ""
            end = "" if text.endswith(".") else "."  # an IdP's own message usually ends its sentence
            raise self.fail("Status", Reason.STATUS_NOT_SUCCESS, f"The IdP answered {status}{extra}{text}{end}")
        self.ok("Status", "Success")

    def _single_assertion(self, root: etree._Element) -> etree._Element:
        if root.find(f".//{q('EncryptedAssertion')}") is not None:
            raise self.fail(
                "Assertion", Reason.ENCRYPTED_ASSERTION_UNSUPPORTED, "Encrypted assertions are not supported."
            )
        # Counted by local name: a look-alike "Assertion" in another namespace is a decoy for
        # SPs that select by local-name(), and has no business in a Response either.
        everywhere = list(root.iter("{*}Assertion"))  # any namespace or none; the filter runs in C
        direct = root.findall(q("Assertion"))
        if len(everywhere) != 1 or len(direct) != 1:
            raise self.fail(
                "Assertion",
                Reason.ASSERTION_COUNT,
                f"The Response holds {len(everywhere)} Assertion element(s) ({len(direct)} in place); "
                "exactly one is allowed.",
            )
        self.ok("Assertion", "exactly one")
        return direct[0]

    def _verify(self, label: str, element: etree._Element) -> None:
        try:
            v, cert = trust.verify(element, self.sub)  # one certificate, or two during a rollover
        except xmldsig.SignatureProblem as err:
            raise self.fail(f"{label} signature", err.code, f"{label}: {err.message}.") from err
        self.ok(f"{label} signature", f"verifies with {cert.describe()} ({v.sig_alg}, digest {v.digest_alg})")

    def _check_signatures(self, root: etree._Element, assertion: etree._Element) -> None:
        response_signed = root.find(q("Signature", ns.DS)) is not None
        assertion_signed = assertion.find(q("Signature", ns.DS)) is not None
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
                "Assertion signature", Reason.SIGNATURE_MISSING, f"A signed Assertion is required, but {what}.{hint}"
            )

    def same_session(self, req: dict) -> bool:
        return req["idm_key"] == self.sub.idm_key and req["browser"] == self.browser

    def other_session(self, request_id: str) -> Refusal:
        return self.fail(
            "InResponseTo",
            Reason.IN_RESPONSE_TO_OTHER_SESSION,
            f"The request {request_id} was sent by another browser or for another subscription.",
        )

    # -- the Assertion ------------------------------------------------------------------

    def check_instant(self, name: str, value: str | None, *, required: bool, before: bool) -> None:
        """`before`: the instant must be in the future (NotOnOrAfter); else in the past (NotBefore)."""
        if value is None:
            if required:
                raise self.fail("Time window", Reason.TIME_MISSING, f"{name} is missing.")
            return
        t = parse_instant(value)
        if t is None:
            raise self.fail("Time window", Reason.TIME_MISSING, f"{name} {value!r} is not a valid time.")
        if before and self.now - self.skew >= t:  # not t + skew: NotOnOrAfter may be 9999-12-31T23:59:59Z
            raise self.fail(
                "Time window", Reason.EXPIRED, f"{name} is {value}; it is now {self.now:%Y-%m-%dT%H:%M:%SZ}."
            )
        if not before and self.now + self.skew < t:
            raise self.fail(
                "Time window", Reason.NOT_YET_VALID, f"{name} is {value}; it is now {self.now:%Y-%m-%dT%H:%M:%SZ}."
            )


__all__ = ["Identity", "Validator", "issuers_of", "parse_instant"]
