"""Check captured messages against a subscription's questionnaire, as onboarding would.

Each failed check names the side to fix: the questionnaire (what the customer told the
vendor) or the IdP (what it actually sends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.core.certs import fingerprint_sha256
from harness.core.safe_url import urlsplit
from harness.core.trace import Check, Message


@dataclass
class Expectations:
    idp_entity_id: str = ""
    idp_sso_url: str = ""
    sp_entity_id: str = ""
    acs_url: str = ""
    idp_certs: list[bytes] = field(default_factory=list)

    def trusted_cert(self, _issuer: str) -> bytes | None:
        return self.idp_certs[0] if self.idp_certs else None


def check_message(msg: Message, exp: Expectations) -> list[Check]:
    kind = msg.summary.kind
    if kind == "AuthnRequest":
        return _authn_request(msg, exp)
    if kind == "Response":
        return _response(msg, exp)
    return []


def _same_url(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc.lower(), pa.path.rstrip("/")) == (pb.scheme, pb.netloc.lower(), pb.path.rstrip("/"))


def _authn_request(msg: Message, exp: Expectations) -> list[Check]:
    s, checks = msg.summary, []
    if exp.sp_entity_id:
        checks.append(_equal("issuer", s.issuer, exp.sp_entity_id, "the SP's entity ID", "the SP"))
    if exp.idp_sso_url and s.destination:
        ok = _same_url(s.destination, exp.idp_sso_url)
        checks.append(
            Check(
                "destination",
                ok,
                f"sent to {s.destination}"
                if ok
                else (
                    f"sent to {s.destination}, but the questionnaire's IdP SSO URL is {exp.idp_sso_url}: "
                    "fix the questionnaire's SSO URL"
                ),
            )
        )
    if exp.acs_url and s.acs_url:
        ok = _same_url(s.acs_url, exp.acs_url)
        checks.append(Check("acs", ok, f"asks for {s.acs_url}" + ("" if ok else f", expected {exp.acs_url}")))
    return checks


def _response(msg: Message, exp: Expectations) -> list[Check]:
    s, checks = msg.summary, []
    if exp.idp_entity_id:
        issuer = s.assertion_issuer or s.issuer
        checks.append(
            _equal(
                "issuer",
                issuer,
                exp.idp_entity_id,
                "the questionnaire's IdP EntityID",
                "the questionnaire (IdP EntityID)",
            )
        )
    if exp.acs_url:
        if s.destination:
            checks.append(_url("destination", s.destination, exp.acs_url))
        if s.recipient:
            checks.append(_url("recipient", s.recipient, exp.acs_url))
    if exp.sp_entity_id:
        ok = exp.sp_entity_id in s.audiences
        checks.append(
            Check(
                "audience",
                ok,
                f"audience {', '.join(s.audiences) or '(none)'}"
                + ("" if ok else f"; the SP is {exp.sp_entity_id}: fix the IdP's audience / SP entity ID"),
            )
        )
    if s.status:
        ok = s.status.endswith(":Success")
        checks.append(Check("status", ok, s.status))
    if exp.idp_certs:
        checks.append(_certificate(msg, exp))
    return checks


def _equal(name: str, got: str, want: str, what: str, side: str) -> Check:
    if got == want:
        return Check(name, True, got)
    return Check(name, False, f"{got or '(none)'}, but {what} is {want}: fix {side}")


def _url(name: str, got: str, want: str) -> Check:
    ok = _same_url(got, want)
    return Check(name, ok, got if ok else f"{got}, but the SP's ACS URL is {want}: fix the IdP's ACS URL for this SP")


def _certificate(msg: Message, exp: Expectations) -> Check:
    trusted = {_compact(fingerprint_sha256(pem)) for pem in exp.idp_certs}
    signed = [sig for sig in msg.signatures if sig.keyinfo_cert_sha256]
    if any(sig.value_ok for sig in msg.signatures):
        return Check("certificate", True, "a signature verifies with the questionnaire's certificate")
    if signed and all(_compact(sig.keyinfo_cert_sha256 or "") not in trusted for sig in signed):
        return Check(
            "certificate",
            False,
            (
                f"signed with the certificate SHA-256 {signed[0].keyinfo_cert_sha256[:23]}…, which the questionnaire "
                "does not name: fix the questionnaire's certificate (or the IdP's signing key)"
            ),
        )
    return Check("certificate", False, "no signature verifies with the questionnaire's certificate")


def _compact(fp: str) -> str:
    return fp.replace(":", "").lower()
