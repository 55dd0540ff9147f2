"""The customer onboarding questionnaire (the vendor guide's Appendix 1) and the SP's side of it.

Five fields: the IdP's EntityID, its signing certificate (PEM), its SSO URL, the subscription
(the Manager primary contact's username, such as abcd_ef) and an optional exit URL. A
questionnaire is kept as a small TOML file, can be filled from any IdP's SAML metadata or from
the mock IdP, and is validated with messages that say what to change (`questionnaire_checks`).
The SP's side (its entityID, ACS URL and metadata) is what the vendor hands back to the customer
(`sp_side`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.certs import CertError, describe_cert, normalize_cert_pem
from harness.core.metadata_read import MetadataError, load_source, parse_metadata, pick_role
from harness.core.questionnaire_checks import FIELD_LABELS, PLACEHOLDERS, Problem, problems
from harness.core.sp_side import SPSide, sp_base_url, sp_side
from samlkit import ns

if TYPE_CHECKING:
    from harness.core.workspace import Workspace
    from sp.model import Subscription

__all__ = [
    "FIELD_LABELS",
    "PLACEHOLDERS",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "SPSide",
    "sp_base_url",
    "sp_side",
]


class QuestionnaireError(ValueError):
    """A questionnaire file or metadata that cannot be read at all."""


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

    # -- validation (harness.core.questionnaire_checks) ------------------------------------

    def validate(self, *, now: datetime | None = None) -> list[Problem]:
        """Every problem, errors first; an empty list means the vendor can configure the trust."""
        return problems(self, now=now)

    def errors(self, *, now: datetime | None = None) -> list[Problem]:
        return [p for p in self.validate(now=now) if p.level == "error"]

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


# -- helpers --------------------------------------------------------------------------------


def _slo_url(endpoints: list[tuple[str, str]]) -> str:
    """The IdP's SLO URL, the HTTP-Redirect one first (the SP sends by Redirect by default)."""
    by_binding = {b: url for b, url in reversed(endpoints) if url}
    return by_binding.get(ns.BINDING_REDIRECT) or by_binding.get(ns.BINDING_POST) or ""


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
