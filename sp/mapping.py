"""Map a verified SAML identity to the subscription's accounts, and say why."""

from __future__ import annotations

from dataclasses import dataclass, field

from sp.model import Account, Subscription
from sp.refusal import Refusal


@dataclass
class MappingDecision:
    value: str  # the identity value that arrived
    source: str  # "NameID" or "attribute mail"
    field: str  # "login" or "External ID"
    matched: list[Account] = field(default_factory=list)
    usable: list[Account] = field(default_factory=list)
    explanation: str = ""


def identity_value(sub: Subscription, name_id: str, attributes: dict[str, list[str]]) -> tuple[str | None, str]:
    """The one identity value the assertion carries, or None.

    An identity attribute with several different values (one Attribute with two values, or the
    same Name in two Attributes or AttributeStatements) names more than one user: the first used
    to win, so the IdP's ordering chose the account. It is refused as ambiguous instead.
    """
    if sub.identity_source.startswith("attribute:"):
        name = sub.identity_source.split(":", 1)[1]
        values = attributes.get(name) or []
        if len(set(values)) > 1:
            shown = ", ".join(repr(v) for v in values[:4]) + (" …" if len(values) > 4 else "")
            raise Refusal(
                "identity-ambiguous",
                f"The attribute {name} carries {len(values)} different values ({shown}); "
                "it must name exactly one user.",
            )
        return (values[0] or None if values else None), f"attribute {name}"
    return (name_id or None), "NameID"


def decide(sub: Subscription, name_id: str, attributes: dict[str, list[str]]) -> MappingDecision:
    """Exact, case-sensitive match: no trimming, so injected whitespace never reaches another user."""
    value, source = identity_value(sub, name_id, attributes)
    if value is None:
        raise Refusal("identity-missing", f"The assertion carries no {source}, which this subscription maps by.")
    by_external = [a for a in sub.accounts if a.external_id and a.external_id == value]
    by_login = [a for a in sub.accounts if a.login == value]
    if sub.mapping_mode == "external_id" or (sub.mapping_mode == "either" and by_external):
        matched, label = by_external, "External ID"
    else:
        matched, label = by_login, "login"
    if sub.mapping_mode == "either" and not matched:
        label = "External ID or login"
    d = MappingDecision(value=value, source=source, field=label, matched=matched)
    if not matched:
        keys: set[str] = set()
        for a in sub.accounts:
            if sub.mapping_mode != "login" and a.external_id:
                keys.add(a.external_id)
            if sub.mapping_mode != "external_id" and a.login:
                keys.add(a.login)
        known = sorted(keys)
        sample = ", ".join(repr(k) for k in known[:8]) + (" …" if len(known) > 8 else "")
        raise Refusal(
            "user-not-found",
            f"The {source} {value!r} matches no account's {label} in subscription {sub.name or sub.idm_key}"
            f" (it has: {sample or 'no accounts'}).",
        )
    active = [a for a in matched if a.active]
    if not active:
        raise Refusal("account-inactive", f"The account {matched[0].login!r} matching {value!r} is deactivated.")
    d.usable = [a for a in active if a.saml_enabled]
    if not d.usable:
        logins = ", ".join(a.login for a in active)
        raise Refusal(
            "saml-disabled-for-user",
            f"The {source} {value!r} matches {logins} by {label}, but SAML is not enabled for "
            f"{'it' if len(active) == 1 else 'them'}: a Manager must enable SAML for the user.",
        )
    d.explanation = f"{source} {value!r} matched {label} of {', '.join(a.login for a in d.usable)}" + (
        " (account picker)" if len(d.usable) > 1 else ""
    )
    return d
