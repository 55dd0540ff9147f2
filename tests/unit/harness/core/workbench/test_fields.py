"""The structured form: read every field, write each back into the tree."""

from __future__ import annotations

import pytest

from harness.core.workbench import fields
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml


def test_reads_the_fields_that_matter(signed: OpenMessage) -> None:
    got = fields.read_all(parse_xml(signed.xml))
    assert got["nameid"] == "alice"
    assert got["audience"] == "QualysGuard_SharedPlatformSAML20SP"
    assert got["in_response_to"] == "id-request-1"
    assert got["status"].endswith(":Success")
    assert got["attr.groups"] == "secops | managers"
    for key in ("issuer", "destination", "recipient", "not_before", "not_on_or_after", "issue_instant"):
        assert got[key]


def test_writes_fields_back(signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    fields.set_field(root, "nameid", "mallory")
    fields.set_field(root, "status", "Requester")
    fields.set_field(root, "in_response_to", "id-2")
    fields.set_field(root, "attr.groups", "admins | staff")
    fields.set_field(root, "attr.new", "v")
    fields.set_field(root, "attr.mail", "")
    got = fields.read_all(root)
    assert got["nameid"] == "mallory"
    assert got["status"] == "urn:oasis:names:tc:SAML:2.0:status:Requester"
    assert got["in_response_to"] == "id-2"
    scd = root.find(".//{*}SubjectConfirmationData")
    assert scd.get("InResponseTo") == "id-2"  # both places a Response answers a request
    assert got["attr.groups"] == "admins | staff" and got["attr.new"] == "v"
    assert "attr.mail" not in got


def test_unknown_or_absent_fields_are_errors_in_words(signed: OpenMessage) -> None:
    root = parse_xml(signed.xml)
    with pytest.raises(WorkbenchError, match="no field 'colour'"):
        fields.set_field(root, "colour", "red")
    with pytest.raises(WorkbenchError, match="has no ACS URL"):
        fields.set_field(root, "acs_url", "https://x")


@pytest.mark.parametrize(("key", "value"), [("nameid", "ev\x1b[31mil"), ("attr.mail", "a\x00b"), ("audience", "x\x07")])
def test_a_value_xml_cannot_carry_is_refused_in_words_and_changes_nothing(signed: OpenMessage, key, value) -> None:
    from lxml import etree

    root = parse_xml(signed.xml)
    before = etree.tostring(root)
    with pytest.raises(WorkbenchError, match=f"{key}: XML cannot carry that value"):
        fields.set_field(root, key, value)
    assert etree.tostring(root) == before
