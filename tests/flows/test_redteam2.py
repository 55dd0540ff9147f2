"""Second red team: regressions for the holes found after the first (see test_redteam.py).

Denials of service: the trace recorder (which the GUI's real-browser capture runs in the
servers' request threads on everything posted) recomputed the digest of every ds:Signature in a
message, so thousands of tiny Signatures pointing at a large Response stalled a thread for
minutes; the outstanding-request table grew without bound under a flood of login URLs (by
gigabytes with long RelayStates); the unique-ID scans cost ~0.5 s each on 180,000 IDs.
Semantics: a second NameID, a second value of the identity attribute, a second Conditions and
a second AuthnStatement were ignored (the first one won), and IssueInstant was never read.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from lxml import etree
from saml_helpers import World, assert_refused, reason
from work_counter import signature_checks

from harness.core.explain import MAX_SIGNATURES, explain_signatures
from harness.core.recorder import TraceRecorder
from samlkit import codec, ns, safexml
from samlkit.events import Event
from sp import store as sp_store
from sp.model import Account
from sp.relay_state import MAX_RELAY_STATE

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def A(local: str) -> str:
    return ns.q(ns.SAML, local)


def refused(world: World, r, code: str) -> None:
    assert_refused(r, code)
    assert world.verdicts()[-1].code == code, world.verdicts()[-1].message


def no_session(browser) -> None:
    assert browser.whoami()[0] == 401


# -- the trace recorder ------------------------------------------------------------------------


def _signature_flood(world: World, n: int) -> str:
    """An unsigned Response whose samlp:Extensions hold `n` tiny Signatures, each referencing the Response."""
    xml = codec.b64decode_strict(world.forge())
    rid = etree.fromstring(xml).get("ID").encode()
    sig = (
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference URI="#'
        + rid
        + b'"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference>'
        b"</ds:SignedInfo></ds:Signature>"
    )
    start = xml.index(b"<saml:Issuer")
    return codec.encode_post(xml[:start] + b"<samlp:Extensions>" + sig * n + b"</samlp:Extensions>" + xml[start:])


def test_recorder_examines_a_bounded_number_of_signatures(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 Signatures took the recorder 6.4 s (quadratic: ~4 minutes at its 2 MiB input limit)."""
    value = _signature_flood(world, 1000)
    recorder = TraceRecorder(trusted_cert=lambda _issuer: world.sub.idp_cert_pem)
    checks = signature_checks(monkeypatch)
    recorder(Event(kind="saml", actor="sp", direction="recv", binding="HTTP-POST", param="SAMLResponse", value=value))
    recorder(Event(kind="http", actor="sp", url="http://sp.test/IdM/saml2/", status=403))
    assert checks.total <= MAX_SIGNATURES  # one check per examined Signature at most
    sigs = recorder.trace.steps[0].message.signatures
    assert len(sigs) == MAX_SIGNATURES + 1  # the examined ones and one line for the rest
    assert "not examined" in sigs[-1].verdict and "1001" in sigs[-1].verdict


def test_explain_signatures_keeps_every_signature_of_a_real_message(world: World) -> None:
    root = safexml.parse(codec.b64decode_strict(world.forge(sign="both")))
    infos = explain_signatures(root, world.sub.idp_cert_pem)
    assert [i.element for i in infos] == ["Response", "Assertion"] and all(i.value_ok for i in infos)


# -- the outstanding-request table ---------------------------------------------------------------


def test_a_flood_of_login_urls_keeps_the_outstanding_table_bounded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sp_store, "MAX_OUTSTANDING", 50)
    flood = world.browser()
    for _ in range(200):
        flood.start()
    assert world.sp.store.count_requests() <= 50
    # The latest requests still work: a login right after the flood goes through.
    b = world.browser()
    request_id, _ = b.start()
    r = b.post_acs(world.forge(in_response_to=request_id))
    assert r.status_code == 303, reason(r)
    assert b.whoami()[1]["login"] == "alice"


def test_a_long_relay_state_is_refused_at_the_login_url(world: World) -> None:
    """A 64 kB RelayState was stored with each outstanding request (~60 MB/s of SQLite under a flood)."""
    r = world.browser().sp.get(
        world.sp_config.login_path, query_string={"idm_key": "1001", "RelayState": "/" + "a" * MAX_RELAY_STATE}
    )
    assert_refused(r, "relay-state-too-long")
    assert world.sp.store.count_requests() == 0


def test_a_long_relay_state_is_refused_at_the_acs(world: World) -> None:
    b = world.browser()
    r = b.post_acs(world.forge(), "/" + "a" * MAX_RELAY_STATE)
    refused(world, r, "relay-state-too-long")
    no_session(b)
    ok = b.post_acs(world.forge(), "/" + "a" * (MAX_RELAY_STATE - 1))
    assert ok.status_code == 303 and ok.headers["Location"].startswith("/aaa")


# -- the unique-ID scans -----------------------------------------------------------------------------


def test_many_ids_cost_little(world: World) -> None:
    """180,000 unique IDs in an unsigned part cost 1.8 s through the SP (three scans of 0.5 s)."""
    xml = codec.b64decode_strict(world.forge())
    start = xml.index(b"<saml:Issuer")
    filler = b"".join(b"<x ID='u%d'/>" % k for k in range(180_000))
    value = codec.encode_post(xml[:start] + b"<samlp:Extensions>" + filler + b"</samlp:Extensions>" + xml[start:])
    r = world.browser().post_acs(value)  # a hang is caught by pytest's timeout, never by a clock here
    assert r.status_code == 303, reason(r)
    dup = xml[:start] + b"<samlp:Extensions><x ID='d'/><y Id='d'/></samlp:Extensions>" + xml[start:]
    refused(world, world.browser().post_acs(codec.encode_post(dup)), "duplicate-id")


# -- semantics -----------------------------------------------------------------------------------------


def test_two_name_ids_are_ambiguous(world: World) -> None:
    """The first NameID used to win: the IdP's ordering chose the account."""

    def edit(_resp: etree._Element, a: etree._Element) -> None:
        name_id = a.find(f"{A('Subject')}/{A('NameID')}")
        other = copy.deepcopy(name_id)
        other.text = "dave"
        name_id.addprevious(other)

    b = world.browser()
    refused(world, b.post_acs(world.forge(before_sign=edit)), "identity-ambiguous")
    no_session(b)


@pytest.mark.parametrize("shape", ["two-values", "two-attributes", "two-statements"])
def test_two_values_of_the_identity_attribute_are_ambiguous(new_world, shape: str) -> None:
    w = new_world(sub={"identity_source": "attribute:mail"})
    accounts = [Account("alice@corp.test", saml_enabled=True), Account("dave@corp.test", saml_enabled=True)]
    w.sp_config = replace(w.sp_config, subscriptions=[replace(w.sub, accounts=accounts)])

    def edit(_resp: etree._Element, a: etree._Element) -> None:
        statement = a.find(A("AttributeStatement"))
        mail = next(at for at in statement if at.get("Name") == "mail")
        if shape == "two-values":
            etree.SubElement(mail, A("AttributeValue")).text = "dave@corp.test"
        else:
            other = etree.Element(A("Attribute"), Name="mail")
            etree.SubElement(other, A("AttributeValue")).text = "dave@corp.test"
            if shape == "two-attributes":
                mail.addprevious(other)
            else:
                etree.SubElement(a, A("AttributeStatement")).append(other)

    b = w.browser()
    refused(w, b.post_acs(w.forge(before_sign=edit)), "identity-ambiguous")
    no_session(b)

    # The same value twice is one identity.
    def repeat(_resp: etree._Element, a: etree._Element) -> None:
        mail = next(at for at in a.iter(A("Attribute")) if at.get("Name") == "mail")
        etree.SubElement(mail, A("AttributeValue")).text = "alice@corp.test"

    same = w.forge(before_sign=repeat)
    r = b.post_acs(same)
    assert r.status_code == 303 and b.whoami()[1]["login"] == "alice@corp.test"


def test_a_second_conditions_is_checked_too(world: World) -> None:
    def edit(_resp: etree._Element, a: etree._Element) -> None:
        cond = a.find(A("Conditions"))
        other = copy.deepcopy(cond)
        other.find(f"{A('AudienceRestriction')}/{A('Audience')}").text = "https://other-sp.example/saml/metadata"
        cond.addnext(other)

    b = world.browser()
    refused(world, b.post_acs(world.forge(before_sign=edit)), "audience-mismatch")
    no_session(b)


def test_a_second_authn_statement_is_checked_too(world: World) -> None:
    def edit(_resp: etree._Element, a: etree._Element) -> None:
        statement = a.find(A("AuthnStatement"))
        ended = copy.deepcopy(statement)
        ended.set("SessionNotOnOrAfter", "2000-01-01T00:00:00Z")
        statement.addnext(ended)

    b = world.browser()
    refused(world, b.post_acs(world.forge(before_sign=edit)), "expired")
    no_session(b)


@pytest.mark.parametrize(
    ("where", "value"), [("response", None), ("response", "garbage"), ("assertion", None), ("assertion", "2026-13-01")]
)
def test_issue_instant_is_required_and_valid(world: World, where: str, value: str | None) -> None:
    def edit(resp: etree._Element, a: etree._Element) -> None:
        el = resp if where == "response" else a
        if value is None:
            del el.attrib["IssueInstant"]
        else:
            el.set("IssueInstant", value)

    b = world.browser()
    refused(world, b.post_acs(world.forge(before_sign=edit, sign="both")), "time-missing")
    no_session(b)
