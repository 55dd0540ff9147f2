"""The vendor guide's "How to test" as a guided checklist, each step checked by the harness.

Steps, in the guide's order (plus the trust the vendor configured from the questionnaire):

  trust         the SP trusts the IdP (the questionnaire's fields are complete and valid)
  saml-enabled  a Manager enabled SAML for the test account (and the subscription has NDS)
  external-id   optional: the account's External ID is what the IdP sends
  open-url      the unique login URL sends the browser to the IdP with an AuthnRequest
  idp-auth      the user authenticates at the IdP, which answers with a Response
  session       the SP opens a session with the expected identity
  logout        logging out lands on the exit URL

The first three are read from the workspace (and refined by the trace); the rest from the
trace of a real flow. Every failing step names the side to fix (IdP, SP, questionnaire, or the
browser) and what to change. Demo mode drives the mock IdP with the scripted browser, at a
pace a presenter can follow; interactive mode opens a real browser and records what it does.

The package: `model` (steps, report, `Expectation`), `workspace_steps`, `trace_steps`, `judge`
(`judge(trace, expectation)`: every verdict from a trace, no servers), `run` (demo and
interactive, through the runner), `text` (the command line's rendering).
"""

from harness.core.checklist.judge import judge
from harness.core.checklist.model import (
    BROWSER,
    FAIL,
    IDP,
    ORDER,
    PASS,
    PENDING,
    QUESTIONNAIRE,
    SKIP,
    SP,
    TITLES,
    CheckCallback,
    ChecklistReport,
    CheckStep,
    Expectation,
    TraceCallback,
)
from harness.core.checklist.run import expectation_for, run_demo, run_interactive
from harness.core.checklist.text import format_report

__all__ = [
    "BROWSER",
    "FAIL",
    "IDP",
    "ORDER",
    "PASS",
    "PENDING",
    "QUESTIONNAIRE",
    "SKIP",
    "SP",
    "TITLES",
    "CheckCallback",
    "CheckStep",
    "ChecklistReport",
    "Expectation",
    "TraceCallback",
    "expectation_for",
    "format_report",
    "judge",
    "run_demo",
    "run_interactive",
]
