"""SP subscriptions and their accounts."""

from __future__ import annotations

from harness.gui.models.base import Column, RowsModel

MAPPING_WORDS = {
    "login": "login name",
    "external_id": "External ID",
    "either": "External ID, then login",
}


class SubscriptionTableModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("idm_key", lambda s: s.idm_key),
                Column("Name", lambda s: s.name),
                Column("Accounts", lambda s: str(len(s.accounts)), center=True),
                Column("Maps by", lambda s: MAPPING_WORDS.get(s.mapping_mode, s.mapping_mode)),
                Column(
                    "SAML",
                    lambda s: "ready" if s.saml_ready else ("no NDS" if not s.nds_enabled else "trust incomplete"),
                    color=lambda s: None if s.saml_ready else "#c62828",
                ),
                Column("IdP EntityID", lambda s: s.idp_entity_id),
            ],
            parent,
        )


class AccountTableModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(
            [
                Column("Login", lambda a: a.login),
                Column("External ID", lambda a: a.external_id),
                Column(
                    "SAML",
                    lambda a: "on" if a.saml_enabled else "off",
                    color=lambda a: "#2e7d32" if a.saml_enabled else "#9e9e9e",
                    center=True,
                ),
                Column("Role", lambda a: a.role),
                Column("Scope", lambda a: ", ".join(a.scope)),
                Column("Active", lambda a: "yes" if a.active else "no", center=True),
                Column("Email", lambda a: a.email),
            ],
            parent,
        )
