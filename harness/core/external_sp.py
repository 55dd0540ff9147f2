"""Let the mock IdP serve an external SP, from that SP's SAML metadata.

The metadata gives the SP's entityID and its HTTP-POST AssertionConsumerService; a NameIDFormat
it asks for picks the NameID the mock IdP sends (an email address for emailAddress). Its
SingleLogoutService, signing certificate and AuthnRequestsSigned set up Single Logout and the
check of signed AuthnRequests. External
SPs vary in what they insist on, so by default both the Response and the Assertion are signed.
An SP that publishes a `KeyDescriptor use="encryption"` gets its Assertions encrypted to that
certificate, with the first data and key algorithms it lists that the mock IdP can use.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.core.metadata_read import MetadataError, load_source, parse_metadata, pick_role, post_acs
from harness.core.workspace import IdPForSP, Workspace
from samlkit import ns, xmlenc

_FORMATS = {v: k for k, v in ns.NAMEID_FORMATS.items()}
_SOURCE = {"emailAddress": "email", "unspecified": "username", "persistent": "username", "transient": "username"}


class ExternalSPError(ValueError):
    pass


def idp_for_sp_from_metadata(
    source: bytes | str | Path, *, entity_id: str | None = None, name: str = "", **overrides: Any
) -> IdPForSP:
    """An IdPForSP (how the mock IdP answers that SP) from SP metadata; `overrides` set any field."""
    try:
        role = pick_role(parse_metadata(load_source(source)), "sp", entity_id)
        acs, acs_index, others = post_acs(role)
    except MetadataError as err:
        raise ExternalSPError(str(err)) from err
    nameid_format = "unspecified"
    for fmt in role.nameid_formats:
        if fmt in _FORMATS:
            nameid_format = _FORMATS[fmt]
            break
    slo = {b: url for b, url in reversed(role.slo_endpoints) if url}
    slo_binding = "redirect" if ns.BINDING_REDIRECT in slo or not slo else "post"
    settings = IdPForSP(
        entity_id=role.entity_id,
        acs_url=acs,
        acs_index=acs_index,
        acs_others=others,
        name=name or role.entity_id,
        nameid_format=nameid_format,
        nameid_source=_SOURCE[nameid_format],
        sign="both",
        # Single Logout and signed AuthnRequests, as the SP's metadata offers them
        slo_url=slo.get(ns.BINDING_REDIRECT) or slo.get(ns.BINDING_POST) or "",
        slo_binding=slo_binding,
        sp_certificate=role.signing_certs[0].decode("ascii") if role.signing_certs else "",
        want_authn_requests_signed=bool(role.authn_requests_signed),
        **_encryption(role.encryption_certs, role.encryption_methods),
    )
    return replace(settings, **overrides) if overrides else settings


def _encryption(certs: list[bytes], methods: list[str]) -> dict[str, Any]:
    """IdPForSP encryption fields for an SP's published encryption key (nothing when it has none)."""
    if not certs:
        return {}
    data = {v: k for k, v in xmlenc.DATA_ALGS.items()}
    keys = {v: k for k, v in xmlenc.KEY_ALGS.items() if k not in xmlenc.WEAK_KEY_ALGS}
    fields: dict[str, Any] = {"encrypt_assertion": True, "encryption_cert": certs[0].decode("ascii")}
    fields["encryption_data_alg"] = next((data[m] for m in methods if m in data), xmlenc.AES256_GCM)
    fields["encryption_key_alg"] = next((keys[m] for m in methods if m in keys), xmlenc.RSA_OAEP)
    return fields


def add_external_sp(workspace: Workspace, source: bytes | str | Path, **kw: Any) -> IdPForSP:
    """Read the SP's metadata and save the mock IdP's settings for it (replacing earlier ones).
    The embedded SP's own metadata (`onboard --export-sp`) is refused: its ports change from run to
    run, so its fixed URLs would break every later embedded login with `acs-mismatch`."""
    settings = idp_for_sp_from_metadata(source, **kw)
    if settings.entity_id == workspace.sp_profile().entity_id:
        raise ExternalSPError(
            f"{settings.entity_id!r} is the embedded SP's own entityID: the mock IdP already serves it, "
            "at whatever ports it runs on (IdP settings for 'Vendor SP (embedded)'); give the metadata of another SP"
        )
    workspace.save_idp_for_sp(settings)
    return settings
