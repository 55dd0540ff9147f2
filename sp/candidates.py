"""Which subscriptions may judge a Response: those that trust its Issuer, before any trust is given.

Several subscriptions may trust the same IdP EntityID (one IdP, two onboardings): the SP tries
each one's certificate in turn (`SPApp._verify_trust`), the one that sent the answered request first.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from sp.contract.reasons import Reason, Refusal
from sp.model import SPConfig, Subscription
from sp.saml_read import issuers_of


def trusting_subscriptions(
config: SPConfig, root: etree._Element, peek_request: Callable[[str], dict | None]
) -> list[Subscription]:
    """The subscriptions that trust the Issuer of this Response, before any trust is given."""
    issuers = issuers_of(root)
    matching = [s for s in config.subscriptions if s.idp_entity_id and s.idp_entity_id in issuers]
    ready = [s for s in matching if s.saml_ready]
    if not ready:
        shown = ", ".join(sorted(repr(i) for i in issuers)) or "none"
        if any(not s.nds_enabled for s in matching):
            raise Refusal(
                Reason.NDS_REQUIRED,
                f"The subscription that trusts {shown} lacks the New Data Security Model, which SAML needs.",
            )
        if matching:
            raise Refusal(
                Reason.SAML_NOT_CONFIGURED,
                f"The subscription that trusts {shown} has no complete IdP trust (certificate, SSO URL).",
            )
        raise Refusal(Reason.ISSUER_MISMATCH, f"No subscription trusts the Issuer of this Response ({shown}).")
    if len(ready) > 1:
        # Some IdPs put InResponseTo only in the SubjectConfirmationData: look there too. This
        # only orders the candidates; each must still pass every check of its own trust.
        found = root.xpath(".//@InResponseTo")
        for irt in [root.get("InResponseTo"), *found]:
            req = peek_request(irt) if irt else None
            if req:
                ready = [s for s in ready if s.idm_key == req["idm_key"]] or ready
                break
    return ready
