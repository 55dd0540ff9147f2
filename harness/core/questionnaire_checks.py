"""What a questionnaire's answers get wrong, in words that say what to change: empty or spaced
fields, a certificate that is a private key, expired, not yet valid, weak or about to expire, the
rollover's certificate repeated, URLs that are not http(s), have no host or are plain http."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harness.core.certs import CertError, describe_cert

if TYPE_CHECKING:
    from harness.core.questionnaire import Questionnaire

PLACEHOLDERS = ("{sp}", "{mock_idp}")
FIELD_LABELS = {
    "idp_entity_id": "IdP EntityID",
    "idp_certificate": "IdP certificate",
    "idp_sso_url": "IdP SSO URL",
    "subscription": "Subscription (primary contact)",
    "exit_url": "Exit URL",
    "idp_certificate_next": "IdP next certificate (rollover)",
    "idp_slo_url": "IdP SLO URL",
}


@dataclass
class Problem:
    field: str
    message: str
    level: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.level}: {FIELD_LABELS.get(self.field, self.field)}: {self.message}"


def problems(q: Questionnaire, *, now: datetime | None = None) -> list[Problem]:
    """Every problem, errors first; an empty list means the vendor can configure the trust."""
    found: list[Problem] = []
    eid = q.idp_entity_id
    if not eid.strip():
        found.append(
            Problem(
                "idp_entity_id",
                "is empty: copy the entityID attribute of your IdP's metadata "
                "(it often looks like urn:mace:incommon:example.com or an https URL)",
            )
        )
    elif eid != eid.strip():
        found.append(
            Problem(
                "idp_entity_id",
                f"{eid!r} has leading or trailing spaces; the SP compares the Issuer of each Response with it exactly",
            )
        )
    found.extend(_cert_problems(q, now))
    if q.idp_certificate_next.strip():
        found.extend(_next_cert_problems(q, now))
    found.extend(_url_problems("idp_sso_url", q.idp_sso_url, required=True))
    contact = q.subscription
    if not contact.strip():
        found.append(
            Problem(
                "subscription",
                "is empty: give the username of the subscription's Manager primary contact (such as abcd_ef)",
            )
        )
    elif any(c.isspace() for c in contact):
        found.append(Problem("subscription", f"{contact!r} contains spaces; a username (such as abcd_ef) has none"))
    found.extend(_url_problems("exit_url", q.exit_url, required=False))
    found.extend(_url_problems("idp_slo_url", q.idp_slo_url, required=False))
    return sorted(found, key=lambda p: p.level != "error")


def _next_cert_problems(q: Questionnaire, now: datetime | None) -> list[Problem]:
    """The rollover's second certificate: the same rules, and not the first one again."""
    found = _cert_problems(replace(q, idp_certificate=q.idp_certificate_next), now)
    found = [replace(p, field="idp_certificate_next") for p in found]
    if not found:
        try:
            if (
                describe_cert(q.idp_certificate_next).fingerprint_sha256
                == describe_cert(q.idp_certificate).fingerprint_sha256
            ):
                found.append(Problem("idp_certificate_next", "is the same certificate as the first", "warning"))
        except CertError:
            pass  # the first one's problem is reported already
    return found


def _cert_problems(q: Questionnaire, now: datetime | None) -> list[Problem]:
    if not q.idp_certificate.strip():
        return [
            Problem(
                "idp_certificate",
                "is empty: paste your IdP's signing certificate (PEM, -----BEGIN CERTIFICATE----- …)",
            )
        ]
    if "PRIVATE KEY" in q.idp_certificate:
        return [
            Problem(
                "idp_certificate",
                "is a private key: send only the public certificate, and replace "
                "that key at once since it has been shared",
            )
        ]
    try:
        info = describe_cert(q.idp_certificate, now=now)
    except CertError as err:
        return [Problem("idp_certificate", f"{err}; paste the whole PEM block of the IdP's signing certificate")]
    stamp = "%Y-%m-%d"
    when = now or datetime.now(UTC)
    if info.status == "expired":
        return [
            Problem(
                "idp_certificate",
                f"expired on {info.not_after.strftime(stamp)} ({info.subject}): "
                "the SP would refuse every signature; send the IdP's current signing certificate",
            )
        ]
    if info.status == "not-yet-valid":
        return [
            Problem(
                "idp_certificate",
                f"is not valid before {info.not_before.strftime(stamp)} "
                f"({info.subject}); send the certificate the IdP signs with today",
            )
        ]
    found = []
    if info.status == "expires-soon":
        days = max(0, (info.not_after - when.astimezone(UTC)).days)
        found.append(
            Problem(
                "idp_certificate",
                f"expires on {info.not_after.strftime(stamp)}, in {days} days: "
                "plan the rollover with the vendor now, or logins stop that day",
                "warning",
            )
        )
    if info.algorithm.startswith("RSA-") and int(info.algorithm[4:]) < 2048:
        found.append(Problem("idp_certificate", f"uses a weak {info.algorithm} key; use RSA-2048 or more", "warning"))
    return found


def _url_problems(name: str, value: str, *, required: bool) -> list[Problem]:
    label = {"idp_sso_url": "SSO URL", "idp_slo_url": "SLO URL"}.get(name, "exit URL")
    if not value.strip():
        if required:
            return [
                Problem(
                    name,
                    f"is empty: give the IdP's {label} for SP-initiated logins "
                    "(its SingleSignOnService with the HTTP-Redirect binding)",
                )
            ]
        return []
    probe = value
    for ph in PLACEHOLDERS:
        probe = probe.replace(ph, "http://127.0.0.1:1")
    parts = urlsplit(probe.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return [
            Problem(name, f"{value!r} is not an http(s) URL" + (f" (it is {parts.scheme}:)" if parts.scheme else ""))
        ]
    if not parts.hostname:
        return [Problem(name, f"{value!r} has no host name")]
    if value != value.strip() or any(c.isspace() for c in value.strip()):
        return [Problem(name, f"{value!r} contains spaces")]
    if parts.scheme.lower() == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return [Problem(name, f"{value} is plain http: a real deployment uses https", "warning")]
    return []
