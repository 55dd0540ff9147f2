"""The customer onboarding questionnaire (the vendor guide's Appendix 1) and the SP's side of it.

Five fields: the IdP's EntityID, its signing certificate (PEM), its SSO URL, the subscription
(the Manager primary contact's username, such as abcd_ef) and an optional exit URL. A
questionnaire is kept as a small TOML file, can be filled from any IdP's SAML metadata or from
the mock IdP, and is validated with messages that say what to change. The SP's side (its
entityID, ACS URL and metadata) is what the vendor hands back to the customer.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harness.core.certs import CertError, describe_cert, normalize_cert_pem
from harness.core.metadata_read import MetadataError, load_source, parse_metadata, pick_role
from samlkit import ns
from samlkit.metadata_xml import sp_metadata, with_encryption_key
from sp.model import DEFAULT_SLO_PATH

if TYPE_CHECKING:
    from harness.core.workspace import Workspace
    from sp.model import Subscription

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


class QuestionnaireError(ValueError):
    """A questionnaire file or metadata that cannot be read at all."""


@dataclass
class Problem:
    field: str
    message: str
    level: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.level}: {FIELD_LABELS.get(self.field, self.field)}: {self.message}"


@dataclass
class Questionnaire:
    """Appendix 1. `idp_certificate` is PEM text (a bare base64 body is accepted too)."""

    idp_entity_id: str = ""
    idp_certificate: str = ""
    idp_sso_url: str = ""
    subscription: str = ""
    exit_url: str = ""
    # Optional: during a rollover, the IdP's next signing certificate, trusted beside the first.
    idp_certificate_next: str = ""
    idp_slo_url: str = ""  # optional: the IdP's SingleLogoutService (Single Logout when the SP logs out)

    # -- validation -----------------------------------------------------------------------

    def validate(self, *, now: datetime | None = None) -> list[Problem]:
        """Every problem, errors first; an empty list means the vendor can configure the trust."""
        found: list[Problem] = []
        eid = self.idp_entity_id
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
                    f"{eid!r} has leading or trailing spaces; the SP compares the "
                    "Issuer of each Response with it exactly",
                )
            )
        found.extend(self._cert_problems(now))
        if self.idp_certificate_next.strip():
            found.extend(self._next_cert_problems(now))
        found.extend(_url_problems("idp_sso_url", self.idp_sso_url, required=True))
        contact = self.subscription
        if not contact.strip():
            found.append(
                Problem(
                    "subscription",
                    "is empty: give the username of the subscription's Manager primary contact (such as abcd_ef)",
                )
            )
        elif any(c.isspace() for c in contact):
            found.append(Problem("subscription", f"{contact!r} contains spaces; a username (such as abcd_ef) has none"))
        found.extend(_url_problems("exit_url", self.exit_url, required=False))
        found.extend(_url_problems("idp_slo_url", self.idp_slo_url, required=False))
        return sorted(found, key=lambda p: p.level != "error")

    def errors(self, *, now: datetime | None = None) -> list[Problem]:
        return [p for p in self.validate(now=now) if p.level == "error"]

    def _next_cert_problems(self, now: datetime | None) -> list[Problem]:
        """The rollover's second certificate: the same rules, and not the first one again."""
        found = replace(self, idp_certificate=self.idp_certificate_next)._cert_problems(now)
        found = [replace(p, field="idp_certificate_next") for p in found]
        if not found:
            try:
                if describe_cert(self.idp_certificate_next).fingerprint_sha256 == describe_cert(
                    self.idp_certificate
                ).fingerprint_sha256:
                    found.append(Problem("idp_certificate_next", "is the same certificate as the first", "warning"))
            except CertError:
                pass  # the first one's problem is reported already
        return found

    def _cert_problems(self, now: datetime | None) -> list[Problem]:
        if not self.idp_certificate.strip():
            return [
                Problem(
                    "idp_certificate",
                    "is empty: paste your IdP's signing certificate (PEM, -----BEGIN CERTIFICATE----- …)",
                )
            ]
        if "PRIVATE KEY" in self.idp_certificate:
            return [
                Problem(
                    "idp_certificate",
                    "is a private key: send only the public certificate, and replace "
                    "that key at once since it has been shared",
                )
            ]
        try:
            info = describe_cert(self.idp_certificate, now=now)
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
            found.append(
                Problem("idp_certificate", f"uses a weak {info.algorithm} key; use RSA-2048 or more", "warning")
            )
        return found

    # -- conversions ----------------------------------------------------------------------

    @property
    def cert_pem(self) -> bytes:
        """The certificate as canonical PEM bytes (raises CertError when it does not parse)."""
        return normalize_cert_pem(self.idp_certificate)

    @property
    def cert_pem_next(self) -> bytes:
        """The rollover's next certificate as PEM bytes, or b"" when there is none."""
        return normalize_cert_pem(self.idp_certificate_next) if self.idp_certificate_next.strip() else b""

    @classmethod
    def from_subscription(cls, sub: Subscription) -> Questionnaire:
        return cls(
            idp_entity_id=sub.idp_entity_id,
            idp_certificate=sub.idp_cert_pem.decode("ascii", "replace") if sub.idp_cert_pem else "",
            idp_sso_url=sub.idp_sso_url,
            subscription=sub.primary_contact,
            exit_url=sub.exit_url,
            idp_certificate_next=sub.idp_cert_pem_next.decode("ascii", "replace") if sub.idp_cert_pem_next else "",
            idp_slo_url=sub.idp_slo_url,
        )

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    # -- TOML -----------------------------------------------------------------------------

    def dumps(self) -> str:
        lines = [
            "# SAML 2.0 SSO onboarding questionnaire (Appendix 1)",
            "",
            "# EntityID string from your IdP (typically like urn:mace:incommon:example.com)",
            f"idp_entity_id = {_toml_str(self.idp_entity_id)}",
            "",
            "# Your organization's SAML IdP SSO URL (SP-initiated authentication requests)",
            f"idp_sso_url = {_toml_str(self.idp_sso_url)}",
            "",
            "# Subscription: the Manager primary contact's username, such as abcd_ef",
            f"subscription = {_toml_str(self.subscription)}",
            "",
            "# Optional: where users land after logging out (for instance your corporate web site)",
            f"exit_url = {_toml_str(self.exit_url)}",
            "",
            "# Optional: your IdP's Single Logout URL (SingleLogoutService); logging out of the SP then logs out there",
            f"idp_slo_url = {_toml_str(self.idp_slo_url)}",
            "",
            "# Public key certificate of the IdP (PEM)",
            f"idp_certificate = {_toml_multiline(self.idp_certificate)}",
            "",
            "# Optional, during a certificate rollover: the IdP's next signing certificate (PEM), trusted too",
            f"idp_certificate_next = {_toml_multiline(self.idp_certificate_next)}",
            "",
        ]
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(p)
        return p

    @classmethod
    def loads(cls, text: str) -> Questionnaire:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise QuestionnaireError(f"the questionnaire is not valid TOML: {err}") from err
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise QuestionnaireError(
                f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
                f"a questionnaire has {', '.join(known)}"
            )
        values = {}
        for name in known:
            v = data.get(name, "")
            if not isinstance(v, str):
                raise QuestionnaireError(f"{name} must be a string, not {type(v).__name__}")
            values[name] = v
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> Questionnaire:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QuestionnaireError(f"{path} does not exist") from None
        except (OSError, UnicodeDecodeError) as err:
            raise QuestionnaireError(f"cannot read {path}: {err}") from err
        return cls.loads(text)

    # -- filling it in --------------------------------------------------------------------

    @classmethod
    def from_metadata(
        cls,
        source: bytes | str | Path,
        *,
        subscription: str = "",
        exit_url: str = "",
        entity_id: str | None = None,
        timeout: float = 15.0,
    ) -> Questionnaire:
        """Fill the IdP fields from any IdP's SAML metadata (XML bytes/text, a file path or a URL).

        Picks the first signing certificate that is valid now (else the first) and the
        HTTP-Redirect SSO endpoint, since the SP sends its AuthnRequest by HTTP-Redirect.
        """
        try:
            role = pick_role(parse_metadata(load_source(source, timeout=timeout)), "idp", entity_id)
        except MetadataError as err:
            raise QuestionnaireError(str(err)) from err
        redirect = [url for binding, url, _, _ in role.endpoints if binding == ns.BINDING_REDIRECT and url]
        if not redirect:
            offered = ", ".join(sorted({b.rsplit(":", 1)[-1] for b, _, _, _ in role.endpoints})) or "none"
            raise QuestionnaireError(
                f"the IdP {role.entity_id} has no SingleSignOnService with the HTTP-Redirect binding "
                f"(it offers: {offered}); the SP sends its AuthnRequest by HTTP-Redirect"
            )
        if not role.signing_certs:
            raise QuestionnaireError(f"the IdP {role.entity_id} lists no signing certificate in its metadata")
        usable = []
        for candidate in role.signing_certs:
            try:
                if describe_cert(candidate).status in ("valid", "expires-soon") and candidate not in usable:
                    usable.append(candidate)
            except CertError:
                continue
        cert = usable[0] if usable else role.signing_certs[0]
        # Metadata listing two valid signing certificates is a rollover in progress: trust both.
        nxt = usable[1].decode("ascii") if len(usable) > 1 else ""
        return cls(
            idp_entity_id=role.entity_id,
            idp_certificate=cert.decode("ascii"),
            idp_sso_url=redirect[0],
            subscription=subscription,
            exit_url=exit_url,
            idp_certificate_next=nxt,
            idp_slo_url=_slo_url(role.slo_endpoints),
        )

    @classmethod
    def from_mock_idp(
        cls, workspace: Workspace, *, subscription: str = "", exit_url: str = "{mock_idp}/", idp_base: str | None = None
    ) -> Questionnaire:
        """The mock IdP's answers. `idp_base`: its running URL; else the `{mock_idp}` placeholder."""
        prof = workspace.idp_profile()
        key_name = prof.signing_key
        sp_entity = workspace.sp_profile().entity_id
        for s in workspace.idp_for_sps():
            if s.entity_id == sp_entity and s.signing_key:
                key_name = s.signing_key  # the IdP signs for the embedded SP with another key
        cert = workspace.keypair(key_name).cert_pem
        # During a rollover the mock IdP's metadata lists its other certificate too: so does this.
        other = prof.rollover_key if key_name == prof.signing_key and prof.rollover_key else ""
        nxt = workspace.keypair(other).cert_pem.decode("ascii") if other in workspace.keypair_names() else ""
        base = idp_base or "{mock_idp}"
        return cls(
            idp_entity_id=prof.entity_id,
            idp_certificate=cert.decode("ascii"),
            idp_sso_url=f"{base}/sso",
            idp_slo_url=f"{base}/slo",
            subscription=subscription,
            exit_url=exit_url.replace("{mock_idp}", idp_base) if idp_base else exit_url,
            idp_certificate_next=nxt,
        )


# -- the SP's side --------------------------------------------------------------------------


@dataclass
class SPSide:
    """What the vendor tells the customer (Appendix 1, "Operations has provided the following")."""

    entity_id: str
    acs_url: str
    login_url: str | None
    metadata_xml: str
    relay_state: str = ""  # what IdP-initiated logins send to reach this subscription (idm_key=KEY)
    slo_url: str = ""  # the SP's Single Logout endpoint (both bindings), when it has a signing key

    def text(self) -> str:
        rows = [
            "Service Provider details for your IdP administrator",
            "",
            f"SP entityID (Audience):        {self.entity_id}",
            f"ACS URL (HTTP-POST):           {self.acs_url}",
        ]
        if self.login_url:
            rows.append(f"Unique login URL:              {self.login_url}")
        if self.slo_url:
            rows.append(f"Single Logout URL:             {self.slo_url} (HTTP-Redirect or HTTP-POST, signed)")
        rows += [
            "",
            "SP-initiated: the SP sends the AuthnRequest by HTTP-Redirect and expects the Response by HTTP-POST.",
            "IdP-initiated: post an unsolicited Response to the ACS URL" + self._relay_words(),
            "Sign the Assertion (RSA-SHA256 or stronger; SHA-1 is refused). SAML 2.0 only.",
            "The SP maps the NameID to the account's login name or to its External ID.",
            "",
        ]
        return "\n".join(rows)

    def _relay_words(self) -> str:
        if not self.relay_state:
            return "."
        return f", with the RelayState {self.relay_state} (the IdP's default RelayState for this application)."

    def write(self, directory: str | Path) -> list[Path]:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        md, txt = d / "sp-metadata.xml", d / "sp-side.txt"
        md.write_text(self.metadata_xml, encoding="utf-8")
        txt.write_text(self.text(), encoding="utf-8")
        return [md, txt]


def sp_base_url(workspace: Workspace) -> str:
    """The SP's base URL: where the harness holding this workspace serves, else loopback on the
    SP profile's port (where `serve` and the app listen unless that port is taken)."""
    from harness.core.serving import current

    found = current(workspace.path)
    return found.sp_base if found is not None else f"http://127.0.0.1:{workspace.sp_profile().port}"


def sp_side(workspace: Workspace, *, sp_base: str | None = None, idm_key: str | None = None) -> SPSide:
    """The SP's entityID, ACS URL, unique login URL (when `idm_key` is given) and metadata."""
    prof = workspace.sp_profile()
    base = (sp_base or sp_base_url(workspace)).rstrip("/")
    acs = base + prof.acs_path
    login = f"{base}{prof.login_path}?idm_key={idm_key}" if idm_key else None
    sub = workspace.subscription(idm_key) if idm_key else None
    cert = workspace.keypair(prof.signing_key).cert_pem if prof.signing_key in workspace.keypair_names() else None
    slo = base + DEFAULT_SLO_PATH if cert else ""
    signed = bool(cert and sub and sub.sign_authn_requests)
    md = sp_metadata(entity_id=prof.entity_id, acs_url=acs, cert_pem=cert, slo_url=slo, authn_requests_signed=signed)
    if sub is not None and sub.assertion_encryption != "plain" and sub.encryption_key in workspace.keypair_names():
        md = with_encryption_key(md, workspace.keypair(sub.encryption_key).cert_pem)  # as /metadata publishes it
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + md + "\n"
    relay = f"idm_key={idm_key}" if idm_key else ""
    return SPSide(
        entity_id=prof.entity_id, acs_url=acs, login_url=login, metadata_xml=xml, relay_state=relay, slo_url=slo
    )


# -- helpers ---------------------------------------------------------------------------------


def _slo_url(endpoints: list[tuple[str, str]]) -> str:
    """The IdP's SLO URL, the HTTP-Redirect one first (the SP sends by Redirect by default)."""
    by_binding = {b: url for b, url in reversed(endpoints) if url}
    return by_binding.get(ns.BINDING_REDIRECT) or by_binding.get(ns.BINDING_POST) or ""


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


def _toml_str(value: str) -> str:
    """A TOML basic string: JSON's escapes are all valid TOML escapes."""
    return json.dumps(value, ensure_ascii=False)


def _toml_multiline(value: str) -> str:
    """PEM as a multi-line literal string; anything a literal cannot hold falls back to a basic string."""
    text = value.replace("\r\n", "\n")
    allowed = all(c in "\t\n" or (ord(c) >= 0x20 and ord(c) != 0x7F) for c in text)
    if "'''" in text or not allowed or text.endswith("'"):
        return _toml_str(value)
    if not text:
        return '""'
    return "'''\n" + text + "'''"
