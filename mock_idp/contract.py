"""The mock IdP's contract: its routes and cookies, and what it asserts about a user.

`name_id_for` and `released_attributes` are the one place that says which NameID and which
attributes a user gets at an SP: the IdP builds its Responses with them, the attack scenarios
forge with them and the harness predicts the SP's mapping with them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model names its URLs from this module
    from mock_idp.model import IdPUser, SPSettings


class IdPRoute(StrEnum):
    """Every path the mock IdP answers."""

    ROOT = "/"
    METADATA = "/metadata"
    SSO = "/sso"  # GET (HTTP-Redirect) or POST: an AuthnRequest
    LOGIN = "/login"  # POST username and password (401 when wrong)
    MFA = "/mfa"  # POST the TOTP code (401 when wrong)
    START = "/start"  # GET ?sp=ENTITY[&user=NAME]: IdP-initiated login
    LOGOUT = "/logout"  # IdP-initiated Single Logout: every SP of the session, then the IdP's
    SLO = "/slo"  # GET (HTTP-Redirect) or POST: a LogoutRequest or LogoutResponse
    SLO_FRAME = "/slo/frame"  # GET ?run=TOKEN&n=INDEX: one SP's LogoutRequest, in a frame of the logout page
    SLO_DONE = "/slo/done"  # POST run=TOKEN: the logout page's frames had their turn; the final page


# On the IdP's final Single Logout page: "complete", or "partial" when an SP was not logged out; each SP's
# row of its results table carries data-service-result="logged-out|not-logged-out|skipped".
LOGOUT_HEADER = "X-SAML-Logout"
SESSION_COOKIE = "mockidp_session"  # differs from the SP's: browsers share cookies across ports
CSRF_COOKIE = "mockidp_csrf"
# A Single Logout run's frames and final POST come from the browser that started it: this cookie
# (suffixed per run, path /slo) carries the run's browser secret.
SLO_RUN_COOKIE = "mockidp_slo_"


def subject_value(user: IdPUser, sp: SPSettings) -> str:
    """The persistent identifier the IdP states for `user` at `sp`: its NameID source, else the username."""
    values = user.field_values(sp.nameid_source)
    return values[0] if values else user.username


def name_id_for(user: IdPUser, sp: SPSettings) -> str | None:
    """The NameID `user` gets at `sp`; None for the transient format, minted afresh per Response."""
    if sp.nameid_format == "transient":
        return None
    return subject_value(user, sp)


def released_attributes(user: IdPUser, sp: SPSettings) -> dict[str, list[str]]:
    """The attributes released to `sp` for `user`, in the SP's order; empty ones are left out."""
    released = {name: user.field_values(name) for name in sp.attributes}
    return {name: values for name, values in released.items() if values}
