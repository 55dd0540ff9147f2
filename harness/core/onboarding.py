"""Onboarding: what the vendor does with a questionnaire (create the subscription's trust).

A valid questionnaire becomes a new subscription with a fresh numeric idm_key, exactly the
trust the questionnaire gives (EntityID, certificate, SSO URL), the optional exit URL and one
account: the Manager primary contact, with a password for the user API (SAML never uses it).
Its unique login URL is what the customer bookmarks. Many subscriptions live side by side,
one URL each; the same IdP may be onboarded twice (two subscriptions, two URLs).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from harness.core.certs import make_keypair
from harness.core.questionnaire import Problem, Questionnaire, sp_base_url
from harness.core.tenants import already_trusted_warning
from harness.core.workspace import Workspace, WorkspaceError
from sp.model import MAPPING_MODES, Account, Subscription


class OnboardingError(ValueError):
    """The questionnaire is not good enough to configure a trust; `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass
class Onboarded:
    subscription: Subscription
    login_url: str
    api_login: str
    api_password: str
    warnings: list[Problem] = field(default_factory=list)


def new_idm_key(workspace: Workspace, digits: int = 6) -> str:
    """A fresh numeric identifier no other subscription in the workspace uses."""
    taken = {s.idm_key for s in workspace.subscriptions()}
    for _ in range(1000):
        key = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))
        if key not in taken:
            return key
    raise WorkspaceError("no free idm_key could be found")  # pragma: no cover - 900,000 keys


def make_encryption_key(workspace: Workspace, idm_key: str) -> str:
    """A fresh key pair for the subscription's encrypted assertions (published in its metadata); its name."""
    name = f"sp-encryption-{idm_key}"
    workspace.save_keypair(name, make_keypair(f"Vendor SP encryption ({idm_key})"))
    return name


def login_url(workspace: Workspace, idm_key: str, sp_base: str | None = None) -> str:
    """The unique login URL, on the running SP's base URL or the SP profile's port."""
    prof = workspace.sp_profile()
    return f"{(sp_base or sp_base_url(workspace)).rstrip('/')}{prof.login_path}?idm_key={idm_key}"


def onboard(
    workspace: Workspace,
    questionnaire: Questionnaire,
    *,
    name: str | None = None,
    mapping: str = "login",
    nds_enabled: bool = True,
    allow_idp_initiated: bool = True,
    idm_key: str | None = None,
    sp_base: str | None = None,
) -> Onboarded:
    """Create the subscription's trust from a questionnaire; refuses an invalid one with its problems."""
    if mapping not in MAPPING_MODES:
        raise OnboardingError([Problem("mapping", f"{mapping!r} is not one of {', '.join(MAPPING_MODES)}")])
    problems = questionnaire.validate()
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise OnboardingError(errors)
    if idm_key is not None:
        if not idm_key.isdigit():
            raise OnboardingError([Problem("idm_key", f"{idm_key!r} is not numeric")])
        if workspace.subscription(idm_key) is not None:
            raise OnboardingError([Problem("idm_key", f"a subscription already has the idm_key {idm_key}")])
    key = idm_key or new_idm_key(workspace)
    shared = already_trusted_warning(workspace, questionnaire.idp_entity_id, key)
    contact = questionnaire.subscription.strip()
    password = secrets.token_urlsafe(12)
    sub = Subscription(
        idm_key=key,
        name=name or contact,
        primary_contact=contact,
        exit_url=questionnaire.exit_url.strip(),
        nds_enabled=nds_enabled,
        idp_entity_id=questionnaire.idp_entity_id,
        idp_cert_pem=questionnaire.cert_pem,
        idp_cert_pem_next=questionnaire.cert_pem_next,
        idp_sso_url=questionnaire.idp_sso_url.strip(),
        idp_slo_url=questionnaire.idp_slo_url.strip(),
        allow_idp_initiated=allow_idp_initiated,
        mapping_mode=mapping,
        accounts=[Account(login=contact, role="Manager", scope=["All"], password=password)],
        encryption_key=make_encryption_key(workspace, key),
    )
    workspace.save_subscription(sub)
    return Onboarded(
        subscription=sub,
        login_url=login_url(workspace, key, sp_base),
        api_login=contact,
        api_password=password,
        warnings=[p for p in problems if p.level == "warning"] + ([shared] if shared else []),
    )


def update_trust(workspace: Workspace, idm_key: str, questionnaire: Questionnaire) -> Subscription:
    """Replace an existing subscription's trust (a certificate rollover, a new SSO URL)."""
    sub = workspace.subscription(idm_key)
    if sub is None:
        raise OnboardingError([Problem("idm_key", f"no subscription has the idm_key {idm_key}")])
    errors = questionnaire.errors()
    if errors:
        raise OnboardingError(errors)
    new = replace(
        sub,
        idp_entity_id=questionnaire.idp_entity_id,
        idp_cert_pem=questionnaire.cert_pem,
        idp_cert_pem_next=questionnaire.cert_pem_next,
        idp_sso_url=questionnaire.idp_sso_url.strip(),
        exit_url=questionnaire.exit_url.strip(),
        idp_slo_url=questionnaire.idp_slo_url.strip(),
    )
    workspace.save_subscription(new)
    return new


def set_saml(
    workspace: Workspace, idm_key: str, login: str, enabled: bool = True, *, external_id: str | None = None
) -> Account:
    """What a Manager does in the user settings: enable SAML for an account (and set its External ID).

    Raises WorkspaceError in words when the subscription lacks the New Data Security Model.
    """
    sub = workspace.subscription(idm_key)
    if sub is None:
        raise WorkspaceError(f"no subscription has the idm_key {idm_key}")
    account = next((a for a in sub.accounts if a.login == login), None)
    if account is None:
        have = ", ".join(a.login for a in sub.accounts) or "none"
        raise WorkspaceError(f"subscription {sub.name or idm_key} has no account {login!r} (it has: {have})")
    if enabled and not sub.nds_enabled:
        raise WorkspaceError(
            f"SAML cannot be enabled for {login}: subscription {sub.name or idm_key} lacks the New Data Security "
            "Model, which the vendor must turn on first"
        )
    changed = replace(
        account, saml_enabled=enabled, external_id=account.external_id if external_id is None else external_id
    )
    workspace.save_subscription(replace(sub, accounts=[changed if a.login == login else a for a in sub.accounts]))
    return changed
