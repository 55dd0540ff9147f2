"""Every reason code the SP can refuse with: one `Reason` member each, its sentence and its status.

A code is stable: tools (the battery, the checklist, other SPs' testers) match on it, it is
sent in the `X-SAML-Reason` header, and README's list of codes is this enum in this order.
"""

from __future__ import annotations

from enum import StrEnum

from samlkit.events import Check


class Reason(StrEnum):
    """A refusal's stable code; `doc` is the sentence a tester reads, `status` its 4xx."""

    doc: str
    status: int

    def __new__(cls, value: str, doc: str, status: int = 400) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.doc = doc
        member.status = status
        return member

    MESSAGE_MISSING = "message-missing", "No SAMLResponse was posted."
    MESSAGE_TOO_LARGE = "message-too-large", "The message is larger than the SP accepts.", 413
    MALFORMED_MESSAGE = "malformed-message", "The SAMLResponse cannot be decoded."
    MALFORMED_XML = "malformed-xml", "The SAMLResponse is not well-formed XML."
    DOCTYPE_FORBIDDEN = "doctype-forbidden", "The SAMLResponse contains a DOCTYPE or entity."
    TOO_DEEP = "too-deep", "The SAMLResponse nests elements too deeply."
    TOO_MANY_NAMESPACES = "too-many-namespaces", "The SAMLResponse declares too many namespaces along one branch."
    TOO_MANY_ATTRIBUTES = "too-many-attributes", "An element of the SAMLResponse carries too many attributes."
    NOT_SAML2 = "not-saml2", "Only SAML 2.0 is supported."
    NOT_A_RESPONSE = "not-a-response", "The message is not a SAML Response."
    UNKNOWN_SUBSCRIPTION = "unknown-subscription", "No subscription has this idm_key.", 404
    SAML_NOT_CONFIGURED = "saml-not-configured", "SAML is not set up for this subscription."
    NDS_REQUIRED = "nds-required", "The subscription does not have the New Data Security Model."
    ISSUER_MISMATCH = "issuer-mismatch", "The Issuer is not the subscription's IdP."
    DESTINATION_MISMATCH = "destination-mismatch", "The Response is addressed to another URL."
    STATUS_NOT_SUCCESS = "status-not-success", "The IdP answered with an error status."
    ASSERTION_COUNT = "assertion-count", "The Response must hold exactly one Assertion."
    ENCRYPTED_ASSERTION_UNSUPPORTED = (
        "encrypted-assertion-unsupported",
        "The Assertion is encrypted, but this subscription does not decrypt.",
    )
    ENCRYPTED_ASSERTION_REQUIRED = "encrypted-assertion-required", "This subscription requires an encrypted Assertion."
    ENCRYPTED_MALFORMED = "encrypted-malformed", "The encrypted Assertion is not a shape this SP accepts."
    ENCRYPTION_ALGORITHM_UNSUPPORTED = (
        "encryption-algorithm-unsupported",
        "The encrypted Assertion uses an algorithm this SP does not accept.",
    )
    ENCRYPTION_WEAK_ALGORITHM = (
        "encryption-weak-algorithm",
        "The Assertion's key is wrapped with RSA 1.5, which is refused.",
    )
    DECRYPTION_FAILED = "decryption-failed", "The encrypted Assertion cannot be decrypted with this subscription's key."
    DUPLICATE_ID = "duplicate-id", "An ID occurs more than once."
    SIGNATURE_MISSING = "signature-missing", "A required signature is missing.", 403
    SIGNATURE_INVALID = "signature-invalid", "A signature does not verify with the trusted certificate.", 403
    SIGNATURE_WRONG_REFERENCE = (
        "signature-wrong-reference",
        "A signature covers another element than the one it sits in.",
        403,
    )
    TRANSFORM_FORBIDDEN = "transform-forbidden", "A signature uses a transform that is not allowed."
    ALGORITHM_UNSUPPORTED = "algorithm-unsupported", "A signature uses an unsupported algorithm."
    WEAK_ALGORITHM = "weak-algorithm", "A signature uses SHA-1."
    TRUST_MISCONFIGURED = "trust-misconfigured", "The subscription's certificate cannot be loaded."
    SUBJECT_MISSING = "subject-missing", "The Assertion has no Subject."
    BEARER_MISSING = "bearer-missing", "The Assertion has no bearer SubjectConfirmation."
    RECIPIENT_MISMATCH = "recipient-mismatch", "The SubjectConfirmation Recipient is not this ACS."
    EXPIRED = "expired", "The Assertion has expired."
    NOT_YET_VALID = "not-yet-valid", "The Assertion is not valid yet."
    TIME_MISSING = "time-missing", "A required validity time is missing."
    AUDIENCE_MISMATCH = "audience-mismatch", "The Audience is not this SP."
    AUTHN_STATEMENT_MISSING = "authn-statement-missing", "The Assertion has no AuthnStatement."
    IN_RESPONSE_TO_UNKNOWN = (
        "in-response-to-unknown",
        "The Response answers a request this SP did not send or already used.",
    )
    IN_RESPONSE_TO_OTHER_SESSION = (
        "in-response-to-other-session",
        "The Response answers a request sent by another browser.",
    )
    IN_RESPONSE_TO_MISMATCH = "in-response-to-mismatch", "The InResponseTo values disagree."
    UNSOLICITED_NOT_ALLOWED = "unsolicited-not-allowed", "IdP-initiated login is not allowed for this subscription."
    REPLAYED = "replayed", "This Assertion was already used.", 403
    IDENTITY_MISSING = "identity-missing", "The Assertion does not carry the identity field."
    IDENTITY_AMBIGUOUS = "identity-ambiguous", "The Assertion names more than one identity."
    USER_NOT_FOUND = "user-not-found", "No account matches the identity."
    SAML_DISABLED_FOR_USER = "saml-disabled-for-user", "SAML is not enabled for the matching account."
    ACCOUNT_INACTIVE = "account-inactive", "The matching account is deactivated."
    RELAY_STATE_OFFSITE = "relay-state-offsite", "The RelayState points off-site."
    RELAY_STATE_TOO_LONG = "relay-state-too-long", "The RelayState is longer than the SP accepts."
    PICK_EXPIRED = "pick-expired", "The account choice expired."
    CSRF = "csrf", "The form did not come from this SP.", 403
    BAD_REQUEST = "bad-request", "The request could not be processed."
    NOT_FOUND = "not-found", "There is no such page.", 404
    FORBIDDEN = "forbidden", "The caller may not do this.", 403
    API_SAML_SESSION_REFUSED = (
        "api-saml-session-refused",
        "The API takes a login and password, never a SAML session.",
        401,
    )
    API_AUTH_REQUIRED = "api-auth-required", "The API needs HTTP Basic authentication.", 401
    API_LOCKED_OUT = "api-locked-out", "The login is locked after too many wrong passwords.", 429
    API_RATE_LIMITED = "api-rate-limited", "Too many failed logins from this client.", 429
    NOT_A_LOGOUT_MESSAGE = "not-a-logout-message", "The SLO endpoint takes LogoutRequest and LogoutResponse only."
    LOGOUT_SESSION_UNKNOWN = "logout-session-unknown", "The LogoutRequest names no session of this SP."
    SESSION_INDEX_MISMATCH = "session-index-mismatch", "The LogoutRequest's SessionIndex is not the session's."


# Refusals about a signature: a tester reads the Signature tab for these.
SIGNATURE_REASONS = frozenset(
    {
        Reason.SIGNATURE_MISSING,
        Reason.SIGNATURE_INVALID,
        Reason.SIGNATURE_WRONG_REFERENCE,
        Reason.WEAK_ALGORITHM,
        Reason.ALGORITHM_UNSUPPORTED,
        Reason.TRANSFORM_FORBIDDEN,
        Reason.TRUST_MISCONFIGURED,
    }
)

_BY_CODE: dict[str, Reason] = {r.value: r for r in Reason}


class Refusal(Exception):
    """The SP says no. `message` is the sentence a tester reads; `code` is stable for tools.

    `checks` are the validation checks made up to this refusal, when there were any;
    `subscription` is the idm_key whose trust refused, when one did.
    """

    def __init__(
        self,
        code: Reason | str,
        message: str | None = None,
        status: int | None = None,
        *,
        checks: list[Check] | None = None,
    ):
        if code not in _BY_CODE:
            raise ValueError(f"{code!r} is not a Reason")
        self.code = _BY_CODE[code]
        self.checks = checks
        self.subscription: str | None = None
        self.headers: dict[str, str] = {}  # extra response headers (Retry-After on a 429)
        self.message = message or self.code.doc
        status = status or self.code.status
        # Whatever a caller passes, a refusal is a client error: never a 5xx (nor a 2xx/3xx).
        self.status = status if 400 <= status < 500 else 400
        super().__init__(f"{self.code}: {self.message}")
