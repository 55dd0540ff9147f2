"""samlkit.logout and samlkit.binding: Single Logout messages built, signed, sent and read back."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from saml_helpers import keys

from samlkit import binding, logout, ns
from samlkit.xmldsig import SignatureProblem


def _request() -> etree._Element:
    return logout.logout_request(
        issuer="https://idp",
        destination="https://sp/slo",
        name_id="alice",
        name_id_format=ns.NAMEID_FORMATS["unspecified"],
        session_index="_s1",
    )


def test_a_logout_request_reads_back() -> None:
    view = logout.read_request(_request())
    assert (view.issuer, view.destination, view.name_id, view.session_indexes) == (
        "https://idp",
        "https://sp/slo",
        "alice",
        ["_s1"],
    )
    assert not logout.expired(view.not_on_or_after, 0)
    assert logout.expired(view.not_on_or_after, 0, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert logout.expired("not a time", 60) and not logout.expired("", 60)


def test_a_logout_response_with_an_error_status_reads_back_in_words() -> None:
    root = logout.logout_response(
        issuer="https://sp",
        destination="https://idp/slo",
        in_response_to="_r1",
        status=ns.STATUS_REQUESTER,
        sub_status=logout.STATUS_REQUEST_DENIED,
        message="no such session",
    )
    view = logout.read_response(root)
    assert view.in_response_to == "_r1"
    assert logout.status_text(view) == "Requester / RequestDenied: no such session"


@pytest.mark.parametrize("how", ["redirect", "post"])
def test_sent_messages_are_received_and_verified_for_their_binding(how: str) -> None:
    kp = keys().idp
    out = binding.send(
        _request(), param="SAMLRequest", binding=how, relay_state="rs", key_pem=kp.key_pem, cert_pem=kp.cert_pem
    )
    if how == "redirect":
        query = out.location.split("?", 1)[1]
        from urllib.parse import parse_qs

        args = {k: v[0] for k, v in parse_qs(query).items()}
        msg = binding.receive("GET", args, {}, query)
    else:
        assert 'name="SAMLRequest"' in out.form_html("IdP")
        msg = binding.receive("POST", {}, {"SAMLRequest": out.value, "RelayState": "rs"}, "")
    assert msg.relay_state == "rs" and msg.root.tag == ns.q(ns.SAMLP, "LogoutRequest")
    assert "verifies" in binding.verify(msg, kp.cert_pem)
    with pytest.raises(SignatureProblem) as err:
        binding.verify(msg, keys().foreign.cert_pem)
    assert err.value.code == "signature-invalid"


@pytest.mark.parametrize(
    "form,code",
    [
        ({}, "message-missing"),
        ({"SAMLRequest": "%%%"}, "malformed-message"),
        ({"SAMLRequest": "PCFET0NUWVBFIHg+PHgvPg=="}, "doctype-forbidden"),  # <!DOCTYPE x><x/>
        ({"SAMLRequest": "PHgvPg=="}, "not-saml2"),  # <x/>
    ],
)
def test_unreadable_messages_have_reason_codes(form: dict, code: str) -> None:
    with pytest.raises(binding.MessageProblem) as err:
        binding.receive("POST", {}, form, "")
    assert err.value.code == code


def test_the_raw_url_keeps_the_query_as_sent() -> None:
    assert binding.raw_url("http://sp/slo", "a=%2f") == "http://sp/slo?a=%2f"
    assert binding.raw_url("http://sp/slo", "") == "http://sp/slo"


def test_a_logout_request_is_valid_for_its_lifetime_after_its_issue_instant() -> None:
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    at = logout.read_instant
    assert at("2026-12-04T11:58:00Z") == dt.datetime(2026, 12, 4, 11, 58, tzinfo=dt.UTC)
    assert at("2026-12-04T13:58:00.5+02:00") == dt.datetime(2026, 12, 4, 11, 58, 0, 500000, tzinfo=dt.UTC)
    assert at("2026-12-04") is None and at("0001-01-01T00:00:00+01:00") is None and at(None) is None
    problem = logout.issue_instant_problem
    assert problem(at("2026-12-04T11:58:00Z"), "", 60, now) is None
    assert problem(at("2026-12-04T11:50:00Z"), "", 60, now)[0] == "expired"
    assert problem(at("2026-12-04T12:05:00Z"), "", 60, now)[0] == "not-yet-valid"
    assert problem(None, "soon", 60, now)[0] == "time-missing"
