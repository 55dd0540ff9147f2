"""Refusals: every failure the SP can name, as a stable code and a sentence."""

from __future__ import annotations

# code -> HTTP status. Every refusal is a 4xx: the SP never answers 5xx.
STATUS = {
    "message-too-large": 413,
    "unknown-subscription": 404,
    "not-found": 404,
    "api-saml-session-refused": 401,
    "api-auth-required": 401,
    "csrf": 403,
    "forbidden": 403,
}

CODES = {
    "message-missing": "No SAMLResponse was posted.",
    "message-too-large": "The message is larger than the SP accepts.",
    "malformed-message": "The SAMLResponse cannot be decoded.",
    "malformed-xml": "The SAMLResponse is not well-formed XML.",
    "doctype-forbidden": "The SAMLResponse contains a DOCTYPE or entity.",
    "too-deep": "The SAMLResponse nests elements too deeply.",
    "too-many-namespaces": "The SAMLResponse declares too many namespaces along one branch.",
    "not-saml2": "Only SAML 2.0 is supported.",
    "not-a-response": "The message is not a SAML Response.",
    "unknown-subscription": "No subscription has this idm_key.",
    "saml-not-configured": "SAML is not set up for this subscription.",
    "nds-required": "The subscription does not have the New Data Security Model.",
    "issuer-mismatch": "The Issuer is not the subscription's IdP.",
    "destination-mismatch": "The Response is addressed to another URL.",
    "status-not-success": "The IdP answered with an error status.",
    "assertion-count": "The Response must hold exactly one Assertion.",
    "encrypted-assertion-unsupported": "The Assertion is encrypted, but this subscription does not decrypt.",
    "encrypted-assertion-required": "This subscription requires an encrypted Assertion.",
    "encrypted-malformed": "The encrypted Assertion is not a shape this SP accepts.",
    "encryption-algorithm-unsupported": "The encrypted Assertion uses an algorithm this SP does not accept.",
    "encryption-weak-algorithm": "The Assertion's key is wrapped with RSA 1.5, which is refused.",
    "decryption-failed": "The encrypted Assertion cannot be decrypted with this subscription's key.",
    "duplicate-id": "An ID occurs more than once.",
    "signature-missing": "A required signature is missing.",
    "signature-invalid": "A signature does not verify with the trusted certificate.",
    "signature-wrong-reference": "A signature covers another element than the one it sits in.",
    "transform-forbidden": "A signature uses a transform that is not allowed.",
    "algorithm-unsupported": "A signature uses an unsupported algorithm.",
    "weak-algorithm": "A signature uses SHA-1.",
    "trust-misconfigured": "The subscription's certificate cannot be loaded.",
    "subject-missing": "The Assertion has no Subject.",
    "bearer-missing": "The Assertion has no bearer SubjectConfirmation.",
    "recipient-mismatch": "The SubjectConfirmation Recipient is not this ACS.",
    "expired": "The Assertion has expired.",
    "not-yet-valid": "The Assertion is not valid yet.",
    "time-missing": "A required validity time is missing.",
    "audience-mismatch": "The Audience is not this SP.",
    "authn-statement-missing": "The Assertion has no AuthnStatement.",
    "in-response-to-unknown": "The Response answers a request this SP did not send or already used.",
    "in-response-to-other-session": "The Response answers a request sent by another browser.",
    "in-response-to-mismatch": "The InResponseTo values disagree.",
    "unsolicited-not-allowed": "IdP-initiated login is not allowed for this subscription.",
    "replayed": "This Assertion was already used.",
    "identity-missing": "The Assertion does not carry the identity field.",
    "identity-ambiguous": "The Assertion names more than one identity.",
    "user-not-found": "No account matches the identity.",
    "saml-disabled-for-user": "SAML is not enabled for the matching account.",
    "account-inactive": "The matching account is deactivated.",
    "relay-state-offsite": "The RelayState points off-site.",
    "relay-state-too-long": "The RelayState is longer than the SP accepts.",
    "pick-expired": "The account choice expired.",
    "csrf": "The form did not come from this SP.",
    "bad-request": "The request could not be processed.",
    "not-found": "There is no such page.",
    "forbidden": "The caller may not do this.",
    "api-saml-session-refused": "The API takes a login and password, never a SAML session.",
    "api-auth-required": "The API needs HTTP Basic authentication.",
}


class Refusal(Exception):
    """The SP says no. `message` is the sentence a tester reads; `code` is stable for tools."""

    def __init__(
        self, code: str, message: str | None = None, status: int | None = None, *, checks: list[dict] | None = None
    ):
        self.code = code
        self.checks = checks  # the validation checks made up to this refusal, when there were any
        self.subscription: str | None = None  # the idm_key whose trust refused, when one did
        self.message = message or CODES.get(code, code)
        status = status or STATUS.get(code, 403 if code.startswith(("signature", "replay")) else 400)
        # Whatever a caller passes, a refusal is a client error: never a 5xx (nor a 2xx/3xx).
        self.status = status if 400 <= status < 500 else 400
        super().__init__(f"{code}: {self.message}")
