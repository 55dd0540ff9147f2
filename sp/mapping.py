"""Map a verified SAML identity to the subscription's accounts, and say why."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sp.contract.reasons import Reason, Refusal
from sp.model import Account, Subscription


@dataclass
class MappingDecision:
    value: str  # the identity value that arrived
    source: str  # "NameID" or "attribute mail"
    field: str  # "login" or "External ID"
    matched: list[Account] = dataclasses.field(default_factory=list)
    usable: list[Account] = dataclasses.field(default_factory=list)
    explanation: str = ""


def identity_value(sub: Subscription, name_id: str, attributes: dict[str, list[str]]) -> tuple[str | None, str]:
    """The one identity value the assertion carries, or None.

    An identity attribute with several different values (one Attribute with two values, or the
    same Name in two Attributes or AttributeStatements) names more than one user. Taking the first
    would let the IdP's ordering choose the account: it is refused as ambiguous.
    """
    if sub.identity_source.startswith("attribute:"):
        name = sub.identity_source.split(":", 1)[1]
        values = attributes.get(name) or []
        if len(set(values)) > 1:
            shown = ", ".join(repr(v) for v in values[:4]) + (" …" if len(values) > 4 else "")
            raise Refusal(
                Reason.IDENTITY_AMBIGUOUS,
                f"The attribute {name} carries {len(values)} different values ({shown}); "
                "it must name exactly one user.",
            )
        return (values[0] or None if values else None), f"attribute {name}"
    return (name_id or None), "NameID"


def matching_accounts(sub: Subscription, value: str) -> tuple[list[Account], str]:
    """The accounts `value` names under the subscription's mapping mode, and the field it matched.

    Exact, case-sensitive match: no trimming, so injected whitespace never reaches another user.
    """
    by_external = [a for a in sub.accounts if a.external_id and a.external_id == value]
    by_login = [a for a in sub.accounts if a.login == value]
    if sub.mapping_mode == "external_id" or (sub.mapping_mode == "either" and by_external):
        matched, label = by_external, "External ID"
    else:
        matched, label = by_login, "login"
    if sub.mapping_mode == "either" and not matched:
        label = "External ID or login"
    return matched, label


def _known_keys(sub: Subscription) -> str:
    keys: set[str] = set()
    for a in sub.accounts:
        if sub.mapping_mode != "login" and a.external_id:
            keys.add(a.external_id)
        if sub.mapping_mode != "external_id" and a.login:
            keys.add(a.login)
    known = sorted(keys)
    return ", ".join(repr(k) for k in known[:8]) + (" …" if len(known) > 8 else "")


def decide(sub: Subscription, name_id: str, attributes: dict[str, list[str]]) -> MappingDecision:
    """The account(s) a verified identity opens a session for, or the Refusal that says why none."""
    value, source = identity_value(sub, name_id, attributes)
    if value is None:
        raise Refusal(Reason.IDENTITY_MISSING, f"The assertion carries no {source}, which this subscription maps by.")
    matched, label = matching_accounts(sub, value)
    d = MappingDecision(value=value, source=source, field=label, matched=matched)
    if not matched:
        raise Refusal(
            Reason.USER_NOT_FOUND,
            f"The {source} {value!r} matches no account's {label} in subscription {sub.name or sub.idm_key}"
            f" (it has: {_known_keys(sub) or 'no accounts'}).",
        )
    active = [a for a in matched if a.active]
    if not active:
        raise Refusal(Reason.ACCOUNT_INACTIVE, f"The account {matched[0].login!r} matching {value!r} is deactivated.")
    d.usable = [a for a in active if a.saml_enabled]
    if not d.usable:
        logins = ", ".join(a.login for a in active)
        raise Refusal(
            Reason.SAML_DISABLED_FOR_USER,
            f"The {source} {value!r} matches {logins} by {label}, but SAML is not enabled for "
            f"{'it' if len(active) == 1 else 'them'}: a Manager must enable SAML for the user.",
        )
    d.explanation = f"{source} {value!r} matched {label} of {', '.join(a.login for a in d.usable)}" + (
        " (account picker)" if len(d.usable) > 1 else ""
    )
    return d


@dataclass
class Prediction:
    """What `decide` will say for an identity, as data: a tool predicts with the SP's own code."""

    outcome: str  # "session" | "picker" | the refusal's reason code
    logins: list[str]  # the accounts a session may open for
    explanation: str
    identity: str | None = None  # the identity value the SP maps by (None when the assertion lacks it)
    account: str | None = None  # the first account the identity names, even one the SP will refuse


def predict(sub: Subscription, name_id: str, attributes: dict[str, list[str]]) -> Prediction:
    """`decide`, without raising: the outcome, and the account the identity names in any case."""
    try:
        value, _source = identity_value(sub, name_id, attributes)
    except Refusal as r:
        return Prediction(r.code, [], r.message)
    matched = matching_accounts(sub, value)[0] if value is not None else []
    account = matched[0].login if matched else None  # the one whose state explains a refusal
    try:
        d = decide(sub, name_id, attributes)
    except Refusal as r:
        return Prediction(r.code, [], r.message, value, account)
    logins = [a.login for a in d.usable]
    return Prediction("picker" if len(logins) > 1 else "session", logins, d.explanation, value, logins[0])
