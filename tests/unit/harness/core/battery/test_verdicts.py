"""battery.verdict: the judgement on one row, over hand-built observations (no servers)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.core.battery import (
    ACCEPTED,
    BASELINE_OK,
    BASELINE_REFUSED,
    CRASH,
    FETCHED,
    IGNORED,
    REFUSED,
    Observed,
    accepted,
    verdict,
)
from mock_idp.scenarios import BASELINE, Scenario, by_name
from mock_idp.scenarios.base import HARM_IMPERSONATION, HARM_OFFSITE_REDIRECT, HARM_SESSION

ACS = "http://127.0.0.1:8443/IdM/saml2/"
REFUSAL = Observed(status=403, reason="signature-invalid")
SESSION = Observed(status=303, location="/home", session=True, login="alice")


def scenario(harm: str) -> Scenario:
    s = by_name("signature-removed-assertion")
    assert s is not None
    return replace(s, harm=harm)


def test_the_baseline_is_accepted_or_makes_the_run_inconclusive() -> None:
    assert verdict(BASELINE, SESSION, acs_url=ACS) == BASELINE_OK
    assert verdict(BASELINE, REFUSAL, acs_url=ACS) == BASELINE_REFUSED


def test_a_refusal_is_refused_and_a_session_is_accepted() -> None:
    s = scenario(HARM_SESSION)
    assert verdict(s, REFUSAL, acs_url=ACS) == REFUSED
    assert verdict(s, SESSION, acs_url=ACS) == ACCEPTED


@pytest.mark.parametrize(
    "observed",
    [Observed(error="timeout"), Observed(status=500), Observed(status=502, session=True)],
)
def test_a_5xx_or_a_dropped_connection_is_a_crash(observed: Observed) -> None:
    assert verdict(scenario(HARM_SESSION), observed, acs_url=ACS) == CRASH


def test_a_fetched_canary_outweighs_a_refusal() -> None:
    assert verdict(scenario(HARM_SESSION), replace(REFUSAL, fetched=["/canary"]), acs_url=ACS) == FETCHED


def test_an_offsite_redirect_is_accepted_and_a_local_one_ignored() -> None:
    s = scenario(HARM_OFFSITE_REDIRECT)
    assert verdict(s, replace(SESSION, location="https://evil.example/"), acs_url=ACS) == ACCEPTED
    assert verdict(s, replace(SESSION, location="//evil.example/x"), acs_url=ACS) == ACCEPTED
    assert verdict(s, SESSION, acs_url=ACS) == IGNORED
    assert verdict(s, REFUSAL, acs_url=ACS) == REFUSED


def test_impersonation_needs_the_victims_account() -> None:
    s = scenario(HARM_IMPERSONATION)
    assert verdict(s, replace(SESSION, login="bob"), acs_url=ACS, victim_logins=("bob",)) == ACCEPTED
    assert verdict(s, SESSION, acs_url=ACS, victim_logins=("bob",)) == IGNORED
    assert verdict(s, SESSION, acs_url=ACS) == ACCEPTED  # whose session is unknown: any session counts


def test_without_a_session_page_a_2xx_3xx_without_a_code_counts_as_accepted() -> None:
    assert accepted(Observed(status=302))
    assert not accepted(Observed(status=302, reason="replayed"))
    assert not accepted(Observed(status=400))


def test_what_the_sp_answered_reads_as_words() -> None:
    from harness.core.battery.verdicts import Observed

    assert Observed(status=403, reason="signature-invalid").short() == "403 signature-invalid"
    assert Observed(status=303, session=True, login="alice").short() == "303 session for alice"
    assert Observed(status=200).short() == "200 (no reason code)"
    assert Observed(error="connection error").short() == "connection error"
