"""Many tenants on one IdP: onboarding the same IdP EntityID twice, and what that asks of the IdP.

Each subscription gets its own unique login URL (SP-initiated logins need nothing more). For
IdP-initiated logins the vendor has the IdP send `idm_key=KEY` as the RelayState (Okta: "Default
RelayState"), since the SP entityID and ACS URL are the same for every subscription.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.core.questionnaire import Problem

if TYPE_CHECKING:
    from harness.core.workspace import Workspace
    from sp.model import Subscription


def trusting(workspace: Workspace, idp_entity_id: str, *, besides: str | None = None) -> list[Subscription]:
    """The subscriptions that already trust this IdP EntityID (other than `besides`)."""
    wanted = idp_entity_id.strip()
    return [s for s in workspace.subscriptions() if s.idp_entity_id == wanted and s.idm_key != besides]


def already_trusted_warning(workspace: Workspace, idp_entity_id: str, idm_key: str) -> Problem | None:
    """A warning for onboarding `idm_key` with an IdP EntityID another subscription trusts."""
    others = trusting(workspace, idp_entity_id, besides=idm_key)
    if not others:
        return None
    names = ", ".join(f"{s.name or s.idm_key} (idm_key {s.idm_key})" for s in others)
    return Problem(
        "idp_entity_id",
        f"{idp_entity_id!r} is already trusted by {names}. SP-initiated logins use each subscription's own "
        f"unique URL; IdP-initiated logins reach this subscription only when the IdP sends the RelayState "
        f"idm_key={idm_key} (its default RelayState for this application).",
        "warning",
    )
