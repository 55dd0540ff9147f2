"""The mock IdP's per-SP settings."""

from __future__ import annotations

from harness.gui.models.base import Column, RowsModel


class IdPForSPModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("SP", lambda s: s.name),
                Column("EntityID", lambda s: s.entity_id),
                Column("ACS URL", lambda s: s.acs_url),
                Column("NameID", lambda s: f"{s.nameid_format} from {s.nameid_source}"),
                Column("Signs", lambda s: f"{s.sign} ({s.sig_hash})"),
                Column("Signing key", lambda s: s.signing_key or "(the IdP's key)"),
                Column("Encrypts", _encrypts),
            ],
            parent,
        )


def _encrypts(s) -> str:
    parts = [w for w, on in (("Assertion", s.encrypt_assertion), ("NameID", s.encrypt_name_id)) if on]
    if s.encrypt_attributes:
        parts.append("attributes")
    return f"{' + '.join(parts)} ({s.encryption_data_alg})" if parts else "nothing"
