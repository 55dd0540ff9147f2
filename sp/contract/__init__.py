"""The SP's contract: everything a caller may rely on, in one place.

Routes, cookies and headers (`http`), refusal reason codes (`Reason`, raised as `Refusal`) and
the check a validator reports (`Check`, shared with the trace). The account-mapping decision is
`sp.mapping` (`decide` for the SP, `predict` for tools): it needs the model, which needs the
routes, so it sits beside this package rather than in it. The IdP's side of the contract (its
routes, the NameID it sends) is `mock_idp.contract`.
"""

from samlkit.events import Check
from sp.contract.http import (
    ACCOUNT_PICKER,
    BOUNCE_FIELD,
    BOUNCE_HEADER,
    BROWSER_COOKIE,
    REASON_HEADER,
    SESSION,
    SESSION_COOKIE,
    Route,
)
from sp.contract.reasons import SIGNATURE_REASONS, Reason, Refusal

__all__ = [
    "ACCOUNT_PICKER",
    "BOUNCE_FIELD",
    "BOUNCE_HEADER",
    "BROWSER_COOKIE",
    "REASON_HEADER",
    "SESSION",
    "SESSION_COOKIE",
    "SIGNATURE_REASONS",
    "Check",
    "Reason",
    "Refusal",
    "Route",
]
