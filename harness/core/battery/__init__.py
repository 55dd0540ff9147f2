"""Run the attack and fault scenarios against an SP and tell refusals, accepted forgeries and crashes apart.

Against the embedded SP (`run_embedded`) the battery starts both servers from a workspace,
gets a real AuthnRequest with the scripted browser before each scenario (so the message
answers a request and only the scenario's rule is broken), posts the bad message to the ACS
from the same browser session, and asks `/whoami` whether a session opened. Against any other
SP (`external_target`) it needs the ACS URL and the SP's EntityID (or its metadata, or its
login URL, from whose AuthnRequest both are read); the SP must trust the workspace's mock IdP.

The package, along its seams: `verdicts` (what a row observed and the pure `verdict` on it),
`client` (HTTP as a browser: start a login, post a message, ask who is in), `canary` (a URL the
SP must never fetch), `runner` (`Battery`: one row per scenario), `diffs` (the legitimate
message to compare a bad one with), `target`/`targets` (the SP under test: embedded or any).
"""

from harness.core.battery.canary import Canary
from harness.core.battery.client import AuthnRequestInfo, LoginError, start_login
from harness.core.battery.diffs import legitimate_counterpart, no_diff_reason, result_diff
from harness.core.battery.runner import Battery
from harness.core.battery.target import BatteryError, Target
from harness.core.battery.targets import (
    embedded_target,
    external_target,
    foreign_keypair,
    read_sp_metadata,
    run_embedded,
    run_external,
)
from harness.core.battery.verdicts import (
    ACCEPTED,
    BAD_VERDICTS,
    BASELINE_OK,
    BASELINE_REFUSED,
    CRASH,
    ERROR,
    FETCHED,
    IGNORED,
    REFUSED,
    SKIPPED,
    Observed,
    Report,
    Result,
    accepted,
    is_offsite,
    verdict,
)
from mock_idp.scenarios.base import Context

__all__ = [
    "ACCEPTED",
    "BAD_VERDICTS",
    "BASELINE_OK",
    "BASELINE_REFUSED",
    "CRASH",
    "ERROR",
    "FETCHED",
    "IGNORED",
    "REFUSED",
    "SKIPPED",
    "AuthnRequestInfo",
    "Battery",
    "BatteryError",
    "Canary",
    "Context",
    "LoginError",
    "Observed",
    "Report",
    "Result",
    "Target",
    "accepted",
    "embedded_target",
    "external_target",
    "foreign_keypair",
    "is_offsite",
    "legitimate_counterpart",
    "no_diff_reason",
    "read_sp_metadata",
    "result_diff",
    "run_embedded",
    "run_external",
    "start_login",
    "verdict",
]
