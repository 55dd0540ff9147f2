"""Which subscription a Response is for, when several trust the same IdP (many tenants).

The vendor has one entityID and one ACS URL for every subscription; a customer with two
subscriptions onboards the same IdP twice. SP-initiated, the request the browser sent names its
subscription. IdP-initiated, the vendor's IdP guides have the IdP send the subscription's key as
the RelayState, `idm_key=KEY` (the same key as in the unique login URL): that chooses among the
subscriptions that trust the Issuer, and is never a redirect target. Choosing only narrows the
candidates: the chosen subscription's trust must still verify every check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from samlkit import ns
from sp.contract.reasons import Reason, Refusal
from sp.model import SPConfig, Subscription
from sp.saml_read import issuers_of

# Where an InResponseTo may sit besides the Response: a direct path, not a scan of the whole message.
# Compiled once (a string path is compiled per call: ~3 us); lxml locks an XPath while it runs.
_SCD_IRT = etree.XPath(
    "saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/@InResponseTo",
    namespaces={"saml": ns.SAML},
    smart_strings=False,
)
_CHOICE = re.compile(r"idm_key=([A-Za-z0-9_.-]{1,64})")


def chosen_key(relay_state: str | None) -> str | None:
    """The idm_key a RelayState of the form `idm_key=KEY` names, else None (a path, or nothing)."""
    if not relay_state:
        return None
    m = _CHOICE.fullmatch(relay_state.strip())
    return m.group(1) if m else None


@dataclass
class Candidates:
    subscriptions: list[Subscription]  # in the order their trust is tried; never empty
    note: str = ""  # how the choice was made, for the trace, when there was one to make


def _label(sub: Subscription) -> str:
    return f"{sub.name or sub.idm_key} (idm_key {sub.idm_key})"


def _requesting(config: SPConfig, root: etree._Element, peek: Callable[[str], dict | None]) -> Subscription | None:
    """The subscription whose outstanding request this Response claims to answer, if any.

    Some IdPs put InResponseTo only in the SubjectConfirmationData: look there too. This only
    orders or diagnoses; the chosen trust must still bind the Response to the request.
    """
    for irt in [root.get("InResponseTo"), *_SCD_IRT(root)[:4]]:
        req = peek(irt) if irt else None
        if req:
            return config.subscription(req["idm_key"])
    return None


def candidates(
    config: SPConfig, root: etree._Element, peek: Callable[[str], dict | None], chosen: str | None = None
) -> Candidates:
    """The subscriptions that trust the Issuer of this Response, before any trust is given."""
    issuers = issuers_of(root)
    shown = ", ".join(sorted(repr(i) for i in issuers)) or "none"
    matching = [s for s in config.subscriptions if s.idp_entity_id and s.idp_entity_id in issuers]
    requesting = _requesting(config, root, peek)
    if requesting is not None and requesting not in matching:
        # The questionnaire's EntityID differs from the IdP's Issuer: say so, rather than let
        # another subscription that trusts this IdP claim the Response and blame the browser.
        raise Refusal(
            Reason.ISSUER_MISMATCH,
            f"This Response answers a request of subscription {_label(requesting)}, which trusts the IdP "
            f"EntityID {requesting.idp_entity_id!r}, but it was issued by {shown}: the questionnaire's IdP "
            "EntityID must equal the Issuer the IdP sends.",
        )
    note = ""
    if chosen is not None and requesting is None:  # a solicited Response: the request decides
        sub = config.subscription(chosen)
        if sub is None:
            raise Refusal(
                Reason.UNKNOWN_SUBSCRIPTION, f"The RelayState names idm_key {chosen!r}; no subscription has it."
            )
        if sub not in matching:
            raise Refusal(
                Reason.ISSUER_MISMATCH,
                f"The RelayState chose subscription {_label(sub)}, which trusts the IdP EntityID "
                f"{sub.idp_entity_id!r}, but this Response was issued by {shown}.",
            )
        matching, note = [sub], f"RelayState idm_key={chosen} chose {_label(sub)}"
    ready = [s for s in matching if s.saml_ready]
    if not ready:
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
    if len(ready) > 1 and requesting is not None:
        ready = [s for s in ready if s is requesting] or ready
        note = f"the request of {_label(requesting)} chose it among {len(matching)} subscriptions trusting {shown}"
    elif len(ready) > 1:
        names = ", ".join(_label(s) for s in ready)
        note = (
            f"{len(ready)} subscriptions trust {shown} ({names}) and no RelayState idm_key=KEY chose one: "
            "the first whose certificate verifies is used"
        )
    return Candidates(ready, note)
