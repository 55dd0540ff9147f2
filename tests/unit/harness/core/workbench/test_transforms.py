"""Transforms: time shifts, making a message current, and the battery's scenarios on the open message."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.core.workbench import edit, fields
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml
from harness.core.workbench.transforms import refresh, shift_times
from samlkit import ns, xmldsig


def test_shift_moves_every_time_and_nothing_else(signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    before = fields.read_all(root)
    assert shift_times(root, -3600) >= 6
    after = fields.read_all(root)
    for key in ("issue_instant", "not_before", "not_on_or_after", "subject.not_on_or_after", "authn_instant"):
        t0 = dt.datetime.fromisoformat(before[key].replace("Z", "+00:00"))
        t1 = dt.datetime.fromisoformat(after[key].replace("Z", "+00:00"))
        assert t0 - t1 == dt.timedelta(hours=1)
    assert after["nameid"] == before["nameid"]
    with pytest.raises(WorkbenchError, match="century"):
        shift_times(root, 10**12)


def test_refresh_gives_new_ids_the_new_request_and_keeps_a_relative_shift(signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    old_ids = (root.get("ID"), root.find(ns.q(ns.SAML, "Assertion")).get("ID"))
    issued = root.get("IssueInstant")
    shift_times(root, -600)  # the tester's shift
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    refresh(root, request_id="id-fresh", now=now, issued=issued)
    assert (root.get("ID"), root.find(ns.q(ns.SAML, "Assertion")).get("ID")) != old_ids
    assert fields.read_field(root, "in_response_to") == "id-fresh"
    assert root.find(".//{*}SubjectConfirmationData").get("InResponseTo") == "id-fresh"
    assert root.get("IssueInstant") == "2029-12-31T23:50:00Z"


def test_a_scenario_bends_the_open_message(demo, signed: OpenMessage) -> None:
    signed_xml = signed.xml
    edit.set_fields(signed, [("attr.groups", "qa")])
    edit.scenario(signed, "tampered-nameid", demo)
    root = parse_xml(signed.xml)
    assert fields.read_field(root, "nameid") == "bob"  # the victim
    assert fields.read_field(root, "attr.groups") == "qa"  # the tester's edit stays
    cert = demo.keypair(demo.idp_profile().signing_key).cert_pem
    with pytest.raises(xmldsig.SignatureProblem):
        xmldsig.verify(root.find(ns.q(ns.SAML, "Assertion")), cert)
    assert signed.original_xml == signed_xml
    edit.scenario(signed, "xsw3", demo)
    assert len(parse_xml(signed.xml).findall(".//" + ns.q(ns.SAML, "Assertion"))) == 2


def test_scenarios_that_cannot_apply_say_so_and_leave_the_text(demo, signed: OpenMessage) -> None:
    before = signed.xml
    with pytest.raises(WorkbenchError, match="no attack scenario"):
        edit.scenario(signed, "no-such-thing", demo)
    request = OpenMessage(xml='<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="a"/>')
    with pytest.raises(WorkbenchError, match="bend a Response"):
        edit.scenario(request, "tampered-nameid", demo)
    assert signed.xml == before
    with pytest.raises(WorkbenchError, match="field=value"):
        edit.parse_assignment("nameid")
    with pytest.raises(WorkbenchError):
        edit.set_fields(signed, [("nameid", "x"), ("colour", "y")])
    assert signed.xml == before  # all or nothing
