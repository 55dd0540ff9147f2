"""What the embedded SP asks of the IdP in its AuthnRequest, per subscription.

Off by default (the vendor sends a bare AuthnRequest). A tester turns them on to rehearse how
the customer's IdP answers: ForceAuthn, IsPassive, a NameIDPolicy (Format, AllowCreate) and a
RequestedAuthnContext (classes and comparison). They become pysaml2 arguments here only.
"""

from __future__ import annotations

from typing import Any

from saml2.saml import AuthnContextClassRef
from saml2.samlp import NameIDPolicy, RequestedAuthnContext

from samlkit import authn_context as ac
from samlkit import ns
from sp.model import Subscription


class OptionError(ValueError):
    """A request option that cannot be sent, in words."""


def nameid_format_uri(value: str) -> str:
    return ns.NAMEID_FORMATS.get(value.strip(), value.strip())


def problems(sub: Subscription) -> list[str]:
    """What is wrong with a subscription's request options (empty: they can be sent)."""
    found = []
    if sub.request_authn_comparison not in ac.COMPARISONS:
        found.append(f"the comparison {sub.request_authn_comparison!r} is not one of {', '.join(ac.COMPARISONS)}")
    if sub.request_nameid_format and ":" not in nameid_format_uri(sub.request_nameid_format):
        found.append(f"the NameID format {sub.request_nameid_format!r} is neither a known short name nor a URI")
    bad = [c for c in sub.request_authn_context if ":" not in ac.expand(c)]
    if bad:
        found.append(f"the authentication context {bad[0]!r} is neither a known short name nor a URI")
    return found


def nameid_policy(sub: Subscription) -> tuple[str, str | None] | None:
    """(Format URI, AllowCreate "true"/"false" or None for transient) of the NameIDPolicy, or None."""
    if not sub.request_nameid_format:
        return None
    fmt = nameid_format_uri(sub.request_nameid_format)
    return fmt, None if fmt == ns.NAMEID_FORMATS["transient"] else str(sub.request_allow_create).lower()


def authn_request_kwargs(sub: Subscription) -> dict[str, Any]:
    """Keyword arguments for pysaml2's prepare_for_authenticate; empty for a bare AuthnRequest."""
    kw: dict[str, Any] = {}
    if sub.request_force_authn:
        kw["force_authn"] = "true"
    if sub.request_passive:
        kw["is_passive"] = "true"
    policy = nameid_policy(sub)
    if policy is not None:
        kw["name_id_policy"] = NameIDPolicy(format=policy[0], allow_create=policy[1])
    if sub.request_authn_context:
        kw["requested_authn_context"] = RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(ac.expand(c)) for c in sub.request_authn_context],
            comparison=sub.request_authn_comparison,
        )
    return kw


def describe(sub: Subscription) -> str:
    """One line for the CLI and the app: what this subscription's AuthnRequest asks for."""
    parts = []
    if sub.request_force_authn:
        parts.append("ForceAuthn")
    if sub.request_passive:
        parts.append("IsPassive")
    if sub.request_nameid_format:
        parts.append(f"NameIDPolicy {sub.request_nameid_format} (AllowCreate {str(sub.request_allow_create).lower()})")
    if sub.request_authn_context:
        classes = ", ".join(ac.short(ac.expand(c)) for c in sub.request_authn_context)
        parts.append(f"RequestedAuthnContext {sub.request_authn_comparison} {classes}")
    return "; ".join(parts) or "a bare AuthnRequest"
