"""Let the mock IdP serve an external SP, from that SP's SAML metadata.

The metadata gives the SP's entityID and its HTTP-POST AssertionConsumerService; a NameIDFormat
it asks for picks the NameID the mock IdP sends (an email address for emailAddress). External
SPs vary in what they insist on, so by default both the Response and the Assertion are signed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.core.metadata_read import MetadataError, load_source, parse_metadata, pick_role, post_acs
from harness.core.workspace import IdPForSP, Workspace
from samlkit import ns

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
    settings = IdPForSP(
        entity_id=role.entity_id,
        acs_url=acs,
        acs_index=acs_index,
        acs_others=others,
        name=name or role.entity_id,
        nameid_format=nameid_format,
        nameid_source=_SOURCE[nameid_format],
        sign="both",
    )
    return replace(settings, **overrides) if overrides else settings


def add_external_sp(workspace: Workspace, source: bytes | str | Path, **kw: Any) -> IdPForSP:
    """Read the SP's metadata and save the mock IdP's settings for it (replacing earlier ones)."""
    settings = idp_for_sp_from_metadata(source, **kw)
    workspace.save_idp_for_sp(settings)
    return settings
