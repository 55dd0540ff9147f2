"""The SP's side of the onboarding questionnaire: what the vendor hands back to the customer (its
entityID, ACS URL, unique login URL, Single Logout URL and metadata), as text and files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from samlkit.metadata_xml import sp_metadata, with_encryption_key
from sp.model import DEFAULT_SLO_PATH

if TYPE_CHECKING:
    from harness.core.workspace import Workspace


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
