"""What the mock IdP reads from an AuthnRequest, and how it honours it (SAML core §3.4.1).

- AssertionConsumerServiceURL / Index must name the ACS registered for the SP (its metadata):
  otherwise the IdP cannot trust where to send anything, so it shows an error page (`AcsProblem`).
- NameIDPolicy: a Format the IdP supports replaces the SP's configured one for this answer; any
  other is `InvalidNameIDPolicy`. AllowCreate="false" with a persistent identifier the IdP has
  never issued to this SP for this user is `InvalidNameIDPolicy` too.
- IsPassive: without an IdP session (or with ForceAuthn) the IdP may not show a login form:
  `NoPassive`. ForceAuthn: the login form even with a session.
- RequestedAuthnContext: the class of the authentication performed must compare (exact,
  minimum, better, maximum) with one of the requested classes; else `NoAuthnContext`.
These four are answered to the SP as a SAML error Response (`PolicyError`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from mock_idp.model import SPSettings
from samlkit import authn_context as ac
from samlkit import ns

STATUS_PREFIX = "urn:oasis:names:tc:SAML:2.0:status:"
_SUPPORTED_FORMATS = {v: k for k, v in ns.NAMEID_FORMATS.items()}


@dataclass
class RequestPolicy:
    """The parts of an AuthnRequest that shape the answer."""

    acs_url: str | None = None
    acs_index: int | None = None
    protocol_binding: str | None = None
    nameid_format: str | None = None  # the NameIDPolicy Format URI, None when absent
    allow_create: bool | None = None
    is_passive: bool = False
    force_authn: bool = False
    authn_contexts: list[str] = field(default_factory=list)  # AuthnContextClassRef values, in order
    authn_decl_refs: list[str] = field(default_factory=list)
    comparison: str = "exact"


class AcsProblem(Exception):
    """The ACS the request names is not the SP's registered one: an error page at the IdP."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class PolicyError(Exception):
    """A request the IdP cannot satisfy, answered to the SP as a SAML error Response."""

    def __init__(self, sub_status: str, message: str, top: str = ns.STATUS_REQUESTER):
        super().__init__(message)
        self.top, self.sub_status, self.message = top, STATUS_PREFIX + sub_status, message


def _bool(value: object) -> bool | None:
    if value is None:
        return None
    return str(value).strip().lower() in ("true", "1")


def from_message(msg) -> RequestPolicy:
    policy = msg.name_id_policy
    rac = msg.requested_authn_context
    index = msg.assertion_consumer_service_index
    return RequestPolicy(
        acs_url=msg.assertion_consumer_service_url,
        acs_index=int(index) if index is not None and str(index).strip().isdigit() else None,
        protocol_binding=msg.protocol_binding,
        nameid_format=(policy.format or None) if policy is not None else None,
        allow_create=_bool(policy.allow_create) if policy is not None else None,
        is_passive=bool(_bool(msg.is_passive)),
        force_authn=bool(_bool(msg.force_authn)),
        authn_contexts=[(c.text or "").strip() for c in (rac.authn_context_class_ref or [])] if rac else [],
        authn_decl_refs=[(c.text or "").strip() for c in (rac.authn_context_decl_ref or [])] if rac else [],
        comparison=(rac.comparison or "exact") if rac else "exact",
    )


def with_requested_acs(policy: RequestPolicy, sp: SPSettings) -> SPSettings:
    """The SP's settings answering to the ACS the request names, when the SP registered it.

    Registered: `sp.acs_url` at `sp.acs_index`, and `sp.acs_others` (index -> URL), the other
    HTTP-POST endpoints of the SP's metadata. Anything else raises AcsProblem.
    """
    registered = {sp.acs_index: sp.acs_url}
    registered.update({int(k): v for k, v in sp.acs_others.items() if str(k).isdigit()})
    if policy.acs_url is not None and policy.acs_index is not None:
        raise AcsProblem(
            "acs-mismatch",
            "The AuthnRequest names both an AssertionConsumerServiceURL and an AssertionConsumerServiceIndex; "
            "SAML allows one or the other.",
        )
    if policy.protocol_binding not in (None, ns.BINDING_POST):
        raise AcsProblem(
            "binding-unsupported",
            f"The AuthnRequest asks for the answer by {policy.protocol_binding}; this IdP answers by HTTP-POST only.",
        )
    if policy.acs_url is not None:
        if policy.acs_url not in registered.values():
            raise AcsProblem(
                "acs-mismatch",
                f"The AuthnRequest asks for the ACS {policy.acs_url}, but this SP's registered ACS is "
                f"{' or '.join(sorted(set(registered.values())))}.",
            )
        return sp if policy.acs_url == sp.acs_url else replace(sp, acs_url=policy.acs_url)
    if policy.acs_index is not None:
        if policy.acs_index not in registered:
            raise AcsProblem(
                "acs-index-unknown",
                f"The AuthnRequest asks for the ACS with index {policy.acs_index}, but this SP registered only "
                + ", ".join(f"index {i} ({u})" for i, u in sorted(registered.items()))
                + ".",
            )
        return replace(sp, acs_url=registered[policy.acs_index])
    return sp


def check_passive(policy: RequestPolicy, *, has_session: bool) -> None:
    if policy.is_passive and (not has_session or policy.force_authn):
        why = "ForceAuthn asks for credentials" if has_session else "the user has no session at the IdP"
        raise PolicyError("NoPassive", f"IsPassive forbids a login form, but {why}.", ns.STATUS_RESPONDER)


def shows_login_form(policy: RequestPolicy, *, has_session: bool) -> bool:
    return not has_session or policy.force_authn


def nameid_format(policy: RequestPolicy, configured: str, *, issued_before: bool) -> str:
    """The NameID format to answer with (a short name of ns.NAMEID_FORMATS, or the configured value)."""
    fmt = policy.nameid_format
    if fmt is None or fmt == ns.NAMEID_FORMATS["unspecified"]:
        chosen = configured
    elif fmt in _SUPPORTED_FORMATS:
        chosen = _SUPPORTED_FORMATS[fmt]
    else:
        offered = ", ".join(ns.NAMEID_FORMATS.values())
        raise PolicyError("InvalidNameIDPolicy", f"The NameID format {fmt} is not supported (offered: {offered}).")
    if chosen == "persistent" and policy.allow_create is False and not issued_before:
        raise PolicyError(
            "InvalidNameIDPolicy",
            "AllowCreate is false and this IdP has never issued a persistent identifier for this user to this SP.",
        )
    return chosen


def nameid_settings(policy: RequestPolicy, sp: SPSettings, *, issued_before: bool) -> SPSettings:
    """The SP's settings with the NameID format the request asks for (and a fitting source)."""
    fmt = nameid_format(policy, sp.nameid_format, issued_before=issued_before)
    if fmt == sp.nameid_format:
        return sp
    source = "email" if fmt == "emailAddress" else ("username" if sp.nameid_source == "email" else sp.nameid_source)
    return replace(sp, nameid_format=fmt, nameid_source=source)


def performed(mfa: bool) -> list[str]:
    """The context classes the authentication performed satisfies, strongest first."""
    return [ac.TIME_SYNC_TOKEN, ac.REFEDS_MFA, ac.PASSWORD_PROTECTED] if mfa else [ac.PASSWORD_PROTECTED]


def authn_context(policy: RequestPolicy, *, mfa: bool) -> str:
    """The AuthnContextClassRef to state, honouring RequestedAuthnContext, or NoAuthnContext."""
    done = performed(mfa)
    if not policy.authn_contexts and not policy.authn_decl_refs:
        return done[0]
    if policy.comparison not in ac.COMPARISONS:
        raise PolicyError("NoAuthnContext", f"The comparison {policy.comparison!r} is not one SAML defines.")
    for wanted in policy.authn_contexts:
        found = _satisfying(wanted, policy.comparison, done)
        if found:
            return found
    asked = ", ".join(policy.authn_contexts + policy.authn_decl_refs)
    strongest = "a second factor (TOTP)" if mfa else "a password"
    raise PolicyError(
        "NoAuthnContext",
        f"The SP asked for {policy.comparison} {asked}; this user signed in with {strongest} ({done[0]}).",
        ns.STATUS_RESPONDER,
    )


def _satisfying(wanted: str, comparison: str, done: list[str]) -> str | None:
    if comparison == "exact":
        return wanted if wanted in done else None
    rank = ac.STRENGTH.get(wanted)
    if rank is None:
        return None  # a class this IdP cannot rank is met only exactly
    if comparison == "minimum":
        ok = [c for c in done if ac.STRENGTH[c] >= rank]
    elif comparison == "better":
        ok = [c for c in done if ac.STRENGTH[c] > rank]
    else:  # maximum: as strong as possible without exceeding it
        ok = [c for c in done if ac.STRENGTH[c] <= rank]
    if not ok:
        return None
    # The strongest class performed that qualifies; the requested name when it is as strong.
    return wanted if wanted in ok and ac.STRENGTH[wanted] == ac.STRENGTH[ok[0]] else ok[0]


class Honouring:
    """Applies a request's NameIDPolicy and RequestedAuthnContext to one answer, remembering which
    (user, SP) pairs were given a persistent identifier: AllowCreate="false" needs one already."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._persistent: set[tuple[str, str]] = set()

    def answer(self, policy: RequestPolicy, sp: SPSettings, username: str, *, mfa: bool) -> tuple[SPSettings, str]:
        """(the SP settings to answer with, the AuthnContextClassRef); raises PolicyError."""
        key = (username, sp.entity_id)
        with self._lock:
            issued_before = key in self._persistent
        sp = nameid_settings(policy, sp, issued_before=issued_before)
        context = authn_context(policy, mfa=mfa)
        if sp.nameid_format == "persistent":
            with self._lock:
                self._persistent.add(key)
        return sp, context
