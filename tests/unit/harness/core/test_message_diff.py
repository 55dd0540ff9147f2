"""The diff of a bad message against the legitimate one, and the change in plain words."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from harness.core.message_diff import ADDED, HEADER, HUNK, REMOVED, describe_changes, diff_messages, render
from samlkit import ns


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _assertion(root: etree._Element) -> etree._Element:
    return root.find(ns.q(ns.SAML, "Assertion"))


def _name_id(root: etree._Element) -> etree._Element:
    return root.find(f".//{ns.q(ns.SAML, 'NameID')}")


@pytest.fixture(scope="module")
def legit(sign_fixtures) -> etree._Element:
    return sign_fixtures.response(sign_assertion=True, sign_response=True)


def test_the_assertion_signature_removed_and_the_name_id_changed(legit):
    bad = copy.deepcopy(legit)
    assertion = _assertion(bad)
    assertion.remove(assertion.find(ns.q(ns.DS, "Signature")))
    _name_id(bad).text = "victim@example.com"

    d = diff_messages(_xml(legit), _xml(bad))

    removed = [line.text for line in d.lines if line.kind == REMOVED]
    added = [line.text for line in d.lines if line.kind == ADDED]
    assert any(t.strip() == '-    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' for t in removed)
    assert any("<ds:SignatureValue>" in t for t in removed)
    assert len(added) == 1 and "victim@example.com" in added[0]
    assert (d.removed, d.added) == (len(removed), 1)
    assert [line.kind for line in d.lines[:3]] == [HEADER, HEADER, HUNK]
    assert d.lines[0].text == "--- legitimate" and d.lines[1].text == "+++ bad"
    assert d.changes[:2] == [
        "the Assertion's ds:Signature was removed",
        "the NameID changed from “user1@example.com” to “victim@example.com”",
    ]
    assert d.summary.startswith(f"{d.removed} lines removed, 1 added: the Assertion's ds:Signature was removed; ")
    # the Response's signature covers the changed Assertion: its digest is stale, but nothing was re-signed
    assert not any("DigestValue" in c for c in d.changes)
    assert d.to_dict()["unified"] == d.text


def test_the_same_message_is_no_change(legit):
    d = diff_messages(_xml(legit), _xml(copy.deepcopy(legit)))
    assert d.identical and d.lines == [] and d.changes == []
    assert d.summary.startswith("No change")


def test_re_signed_values_come_last_and_are_named_once(legit, sign_fixtures):
    bad = sign_fixtures.response(sign_assertion=True, sign_response=True)
    bad.set("Destination", "https://evil.example/acs")
    for sig in bad.findall(ns.q(ns.DS, "Signature")):
        bad.remove(sig)
    from samlkit import xmldsig

    xmldsig.sign(bad, sign_fixtures.key_pem, sign_fixtures.cert_pem)
    changes = describe_changes(_xml(legit), _xml(bad))
    assert changes[0] == (
        f"the Response's Destination changed from “{sign_fixtures.acs}” to “https://evil.example/acs”"
    )
    assert changes[-1] == "the Response's signature has a different DigestValue and SignatureValue"


def test_an_added_assertion_reusing_the_signed_id(legit):
    bad = copy.deepcopy(legit)
    evil = copy.deepcopy(_assertion(bad))
    evil.remove(evil.find(ns.q(ns.DS, "Signature")))
    _name_id(evil).text = "victim@example.com"
    _assertion(bad).addprevious(evil)
    changes = describe_changes(_xml(legit), _xml(bad))
    assert changes == ["a saml:Assertion was added to the Response, reusing the ID “_assert1” of the legitimate one"]
    d = diff_messages(_xml(legit), _xml(bad))
    assert d.removed == 0 and d.added > 10


def test_changes_inside_a_signature_say_whose(legit):
    bad = copy.deepcopy(legit)
    ref = _assertion(bad).find(f".//{ns.q(ns.DS, 'Reference')}")
    ref.set("URI", "")
    assert describe_changes(_xml(legit), _xml(bad)) == [
        "in the Assertion's signature, the Reference's URI changed from “#_assert1” to nothing"
    ]


def test_a_doctype_and_entity_are_shown_never_expanded(legit):
    body = etree.tostring(legit, encoding="unicode").replace("user1@example.com</saml:NameID>", "&who;</saml:NameID>")
    bad = f'<?xml version="1.0"?>\n<!DOCTYPE samlp:Response [<!ENTITY who "victim@example.com">]>\n{body}'
    text, how, note = render(bad)
    assert how == "pretty" and "DOCTYPE" in note
    assert text.splitlines()[:3] == ["<!DOCTYPE samlp:Response [", '  <!ENTITY who "victim@example.com">', "]>"]
    assert "&who;</saml:NameID>" in text
    d = diff_messages(_xml(legit), bad)
    assert d.changes == [
        "a DOCTYPE was added, declaring who (“victim@example.com”)",
        "the NameID changed from “user1@example.com” to “&who;”",
    ]
    assert not any("victim@example.com</saml:NameID>" in line.text for line in d.lines)


def test_an_external_entity_is_never_fetched(tmp_path, legit):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = etree.tostring(legit, encoding="unicode").replace("user1@example.com</saml:NameID>", "&x;</saml:NameID>")
    bad = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>{body}'
    d = diff_messages(_xml(legit), bad)
    assert "TOP-SECRET" not in d.text and "TOP-SECRET" not in " ".join(d.changes)
    assert d.changes[0].startswith("a DOCTYPE was added, declaring x (SYSTEM “file:///")


def test_a_message_that_is_not_well_formed_is_diffed_as_sent(legit):
    xml = _xml(legit)
    bad = xml[: len(xml) // 2]
    d = diff_messages(xml, bad)
    assert d.changes[0].startswith("the message is not well-formed XML (")
    assert any("not well-formed" in n and "shown as sent" in n for n in d.notes)
    # both sides one tag a line, so only the cut-off tail differs
    lines = xml.decode().replace("><", ">\n<").splitlines()
    kept = sum(1 for line in d.lines if line.kind == " ")
    assert d.added <= 1 and 0 < d.removed < len(lines) - 20 and kept > 0
    assert all(not line.text.startswith(("+ ", "-  ")) for line in d.lines if line.kind in (ADDED, REMOVED))


def test_a_different_root_is_said(legit, sign_fixtures):
    changes = describe_changes(_xml(legit), _xml(sign_fixtures.authn_request()))
    assert changes == ["the message is a samlp:AuthnRequest, not a samlp:Response"]


def test_the_battery_counterpart_differs_only_where_the_attacker_changed(sign_fixtures):
    """With the battery's aligned legitimate message, no fresh IDs or signature values show up."""
    import datetime as dt

    from harness.core.battery import legitimate_counterpart
    from mock_idp.model import IdPUser, SPSettings
    from mock_idp.scenarios import CATALOGUE
    from mock_idp.scenarios.base import Context

    ctx = Context(
        idp_entity_id=sign_fixtures.idp_entity,
        idp_key_pem=sign_fixtures.key_pem,
        idp_cert_pem=sign_fixtures.cert_pem,
        sp=SPSettings(entity_id=sign_fixtures.sp_entity, acs_url=sign_fixtures.acs),
        user=IdPUser(username="alice", password="x"),
        victim=IdPUser(username="bob", password="x"),
        foreign_key_pem=sign_fixtures.other_key_pem,
        foreign_cert_pem=sign_fixtures.other_cert_pem,
        in_response_to="_req1",
        now=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    scenario = next(s for s in CATALOGUE if s.name == "signature-removed-assertion")
    bad = scenario.build(ctx).xml
    d = diff_messages(legitimate_counterpart(ctx, bad), bad)
    assert d.changes == ["the Assertion's ds:Signature was removed", "the NameID changed from “alice” to “bob”"]
    assert d.added == 1
