"""Every refusal of the security baseline (docs/ARCHITECTURE.md), in-process:
a 4xx whose X-SAML-Reason names a stable code.

Bad Responses are built with `mock_idp.response.build_unsigned`, bent as lxml trees and then
signed for real (`sign_as_configured`), some tampered again after signing. The SP must refuse
each one, never open a session, and report a failed verdict with the same code.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree
from saml_helpers import Keys, World, assert_refused, reason

from mock_idp.model import IdPUser
from mock_idp.response import new_id
from samlkit import codec, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")

NOW = dt.datetime.now(dt.UTC)


def A(local: str) -> str:
    return ns.q(ns.SAML, local)


def P(local: str) -> str:
    return ns.q(ns.SAMLP, local)


def strip(el: etree._Element) -> None:
    el.remove(el.find(ns.q(ns.DS, "Signature")))


def name_id(a: etree._Element) -> etree._Element:
    return a.find(f"{A('Subject')}/{A('NameID')}")


def scd(a: etree._Element) -> etree._Element:
    return a.find(f"{A('Subject')}/{A('SubjectConfirmation')}/{A('SubjectConfirmationData')}")


def evil_copy(a: etree._Element, login: str = "alice", keep_id: bool = False) -> etree._Element:
    """An unsigned copy of the assertion that speaks for `login`."""
    evil = copy.deepcopy(a)
    if evil.find(ns.q(ns.DS, "Signature")) is not None:
        strip(evil)
    if not keep_id:
        evil.set("ID", new_id())
    name_id(evil).text = login
    return evil


def insert_before(anchor: etree._Element, el: etree._Element) -> None:
    anchor.addprevious(el)


def wrap_in_extensions(r: etree._Element, a: etree._Element) -> None:
    """XSW: the signed assertion hides in samlp:Extensions, an evil one takes its place."""
    evil = evil_copy(a)
    a.addprevious(evil)
    ext = etree.Element(P("Extensions"))
    r.find(A("Issuer")).addnext(ext)
    ext.append(a)


def wrap_in_signature_object(r: etree._Element, a: etree._Element) -> None:
    """XSW: the evil assertion carries the real signature, whose ds:Object holds the signed original."""
    evil = copy.deepcopy(a)
    evil.set("ID", new_id())
    name_id(evil).text = "alice"
    sig = evil.find(ns.q(ns.DS, "Signature"))
    obj = etree.SubElement(sig, ns.q(ns.DS, "Object"))
    a.addprevious(evil)
    obj.append(a)


def wrap_signed_response(r: etree._Element, a: etree._Element) -> etree._Element:
    """XSW on the Response: a new unsigned Response whose Extensions hold the signed one."""
    evil = copy.deepcopy(r)
    evil.set("ID", new_id())
    strip(evil)
    ea = evil.find(A("Assertion"))
    name_id(ea).text = "alice"
    ea.set("ID", new_id())
    ext = etree.Element(P("Extensions"))
    evil.find(A("Issuer")).addnext(ext)
    ext.append(r)
    return evil


def set_attr(path: Callable[[etree._Element, etree._Element], etree._Element], name: str, value: str | None):
    def bend(r: etree._Element, a: etree._Element) -> None:
        el = path(r, a)
        if value is None:
            del el.attrib[name]
        else:
            el.set(name, value)

    return bend


def remove(path: Callable[[etree._Element], etree._Element]):
    def bend(r: etree._Element, a: etree._Element) -> None:
        el = path(a)
        el.getparent().remove(el)

    return bend


def both(*fns):
    def bend(r: etree._Element, a: etree._Element) -> None:
        for f in fns:
            f(r, a)

    return bend


def response(r, a):
    return r


def assertion(r, a):
    return a


# (id, forge kwargs from the keys, code, status)
CASES: list[tuple[str, Callable[[Keys], dict[str, Any]], str, int]] = [
    # signatures
    ("assertion-signature-stripped", lambda k: {"after_sign": lambda r, a: strip(a)}, "signature-missing", 403),
    ("unsigned", lambda k: {"sign": "none"}, "signature-missing", 403),
    ("response-only-signed", lambda k: {"sign": "response"}, "signature-missing", 403),
    (
        "both-signatures-stripped",
        lambda k: {"sign": "both", "after_sign": lambda r, a: (strip(a), strip(r))},
        "signature-missing",
        403,
    ),
    (
        "assertion-signature-stripped-under-signed-response",
        lambda k: {"sign": "both", "after_sign": lambda r, a: strip(a)},
        "signature-invalid",
        403,
    ),
    (
        "tampered-nameid",
        lambda k: {"user": "mallory", "after_sign": lambda r, a: setattr(name_id(a), "text", "alice")},
        "signature-invalid",
        403,
    ),
    (
        "tampered-attribute",
        lambda k: {
            "after_sign": lambda r, a: etree.SubElement(
                a.find(f"{A('AttributeStatement')}/{A('Attribute')}"), A("AttributeValue")
            ).__setattr__("text", "admins")
        },
        "signature-invalid",
        403,
    ),
    (
        "tampered-response",
        lambda k: {"sign": "both", "after_sign": lambda r, a: r.set("IssueInstant", "2001-01-01T00:00:00Z")},
        "signature-invalid",
        403,
    ),
    (
        "foreign-key-cert-in-keyinfo",
        lambda k: {"key_pem": k.foreign.key_pem, "cert_pem": k.foreign.cert_pem},
        "signature-invalid",
        403,
    ),
    (
        "foreign-key-trusted-cert-in-keyinfo",
        lambda k: {"key_pem": k.foreign.key_pem, "cert_pem": k.idp.cert_pem},
        "signature-invalid",
        403,
    ),
    (
        "foreign-key-both-signed",
        lambda k: {"sign": "both", "key_pem": k.foreign.key_pem, "cert_pem": k.foreign.cert_pem},
        "signature-invalid",
        403,
    ),
    ("ec-key-not-trusted", lambda k: {"key_pem": k.ec.key_pem, "cert_pem": k.ec.cert_pem}, "signature-invalid", 403),
    ("sha1", lambda k: {"sig_hash": "sha1"}, "weak-algorithm", 400),
    ("sha1-digest", lambda k: {"digest_hash": "sha1"}, "weak-algorithm", 400),
    (
        "signature-moved-from-response-to-assertion",
        lambda k: {"sign": "response", "after_sign": lambda r, a: a.insert(1, r.find(ns.q(ns.DS, "Signature")))},
        "signature-wrong-reference",
        403,
    ),
    # one assertion, and wrapping
    ("two-assertions", lambda k: {"after_sign": lambda r, a: r.append(evil_copy(a))}, "assertion-count", 400),
    (
        "evil-assertion-before-signed",
        lambda k: {"user": "mallory", "after_sign": lambda r, a: insert_before(a, evil_copy(a))},
        "assertion-count",
        400,
    ),
    (
        "evil-assertion-after-signed",
        lambda k: {"user": "mallory", "after_sign": lambda r, a: a.addnext(evil_copy(a))},
        "assertion-count",
        400,
    ),
    (
        "evil-assertion-same-id",
        lambda k: {"user": "mallory", "after_sign": lambda r, a: insert_before(a, evil_copy(a, keep_id=True))},
        "duplicate-id",
        400,
    ),
    ("wrapped-in-extensions", lambda k: {"user": "mallory", "after_sign": wrap_in_extensions}, "assertion-count", 400),
    (
        "wrapped-in-signature-object",
        lambda k: {"user": "mallory", "after_sign": wrap_in_signature_object},
        "assertion-count",
        400,
    ),
    (
        "wrapped-in-advice",
        lambda k: {
            "user": "mallory",
            "after_sign": lambda r, a: etree.SubElement(a, A("Advice")).append(evil_copy(a)),
        },
        "assertion-count",
        400,
    ),
    (
        "signed-response-wrapped",
        lambda k: {"user": "mallory", "sign": "both", "wrap": wrap_signed_response},
        "assertion-count",
        400,
    ),
    (
        "encrypted-assertion",
        lambda k: {"after_sign": lambda r, a: etree.SubElement(r, A("EncryptedAssertion"))},
        "encrypted-assertion-unsupported",
        400,
    ),
    # addressing
    (
        "wrong-destination",
        lambda k: {"before_sign": set_attr(response, "Destination", "https://evil.test/acs")},
        "destination-mismatch",
        400,
    ),
    (
        "signed-response-without-destination",
        lambda k: {"sign": "both", "before_sign": set_attr(response, "Destination", None)},
        "destination-mismatch",
        400,
    ),
    (
        "wrong-recipient",
        lambda k: {"before_sign": set_attr(lambda r, a: scd(a), "Recipient", "https://evil.test/acs")},
        "recipient-mismatch",
        400,
    ),
    (
        "wrong-audience",
        lambda k: {"before_sign": lambda r, a: setattr(a.find(f".//{A('Audience')}"), "text", "https://other-sp.test")},
        "audience-mismatch",
        400,
    ),
    (
        "second-audience-restriction-excludes-us",
        lambda k: {
            "before_sign": lambda r, a: etree.SubElement(
                etree.SubElement(a.find(A("Conditions")), A("AudienceRestriction")), A("Audience")
            ).__setattr__("text", "https://other-sp.test")
        },
        "audience-mismatch",
        400,
    ),
    ("no-conditions", lambda k: {"before_sign": remove(lambda a: a.find(A("Conditions")))}, "audience-mismatch", 400),
    (
        "wrong-assertion-issuer",
        lambda k: {"before_sign": lambda r, a: setattr(a.find(A("Issuer")), "text", "https://evil.test/idp")},
        "issuer-mismatch",
        400,
    ),
    (
        "wrong-issuer-everywhere",
        lambda k: {
            "before_sign": lambda r, a: [setattr(el, "text", "https://evil.test/idp") for el in r.iter(A("Issuer"))]
        },
        "issuer-mismatch",
        400,
    ),
    # time
    ("expired", lambda k: {"now": NOW - dt.timedelta(hours=1)}, "expired", 400),
    ("not-yet-valid", lambda k: {"now": NOW + dt.timedelta(hours=1)}, "not-yet-valid", 400),
    (
        "missing-notonorafter",
        lambda k: {"before_sign": set_attr(lambda r, a: scd(a), "NotOnOrAfter", None)},
        "time-missing",
        400,
    ),
    (
        "garbled-notonorafter",
        lambda k: {"before_sign": set_attr(lambda r, a: scd(a), "NotOnOrAfter", "tomorrow")},
        "time-missing",
        400,
    ),
    (
        "conditions-expired",
        lambda k: {
            "before_sign": set_attr(lambda r, a: a.find(A("Conditions")), "NotOnOrAfter", "2001-01-01T00:00:00Z")
        },
        "expired",
        400,
    ),
    ("idp-clock-10-minutes-ahead", lambda k: {"clock_offset": 600}, "not-yet-valid", 400),
    ("idp-clock-10-minutes-behind", lambda k: {"clock_offset": -600}, "expired", 400),
    # subject and status
    (
        "bearer-method-changed",
        lambda k: {
            "before_sign": set_attr(
                lambda r, a: a.find(f"{A('Subject')}/{A('SubjectConfirmation')}"),
                "Method",
                "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
            )
        },
        "bearer-missing",
        400,
    ),
    ("no-subject", lambda k: {"before_sign": remove(lambda a: a.find(A("Subject")))}, "subject-missing", 400),
    (
        "no-authn-statement",
        lambda k: {"before_sign": remove(lambda a: a.find(A("AuthnStatement")))},
        "authn-statement-missing",
        400,
    ),
    (
        "status-not-success",
        lambda k: {
            "before_sign": set_attr(
                lambda r, a: r.find(f"{P('Status')}/{P('StatusCode')}"), "Value", ns.STATUS_RESPONDER
            )
        },
        "status-not-success",
        400,
    ),
    ("saml-1-version", lambda k: {"before_sign": set_attr(response, "Version", "1.1")}, "not-saml2", 400),
    (
        "assertion-version",
        lambda k: {"before_sign": set_attr(assertion, "Version", "1.1")},
        "not-saml2",
        400,
    ),
    # InResponseTo
    ("unknown-in-response-to", lambda k: {"in_response_to": "_never_sent"}, "in-response-to-unknown", 400),
    (
        "in-response-to-disagrees",
        lambda k: {
            "before_sign": both(
                set_attr(response, "InResponseTo", "_one"), set_attr(lambda r, a: scd(a), "InResponseTo", "_two")
            )
        },
        "in-response-to-mismatch",
        400,
    ),
]


@pytest.mark.parametrize(("make", "code", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_forged_response_is_refused(world: World, keys: Keys, make, code: str, status: int) -> None:
    b = world.browser()
    r = b.post_acs(world.forge(**make(keys)))
    assert_refused(r, code, status)
    assert b.whoami()[0] == 401
    verdict = world.verdicts()[-1]
    assert verdict.ok is False and verdict.code == code and verdict.status == status
    assert verdict.checks and verdict.checks[-1].ok is False


def test_the_unbent_forge_is_accepted(world: World) -> None:
    """The control for the table above: the same builder without a bend logs in."""
    b = world.browser()
    assert b.post_acs(world.forge()).status_code == 303
    assert b.whoami()[1]["login"] == "alice"


def test_clock_offset_within_skew_is_accepted(world: World) -> None:
    b = world.browser()
    assert b.post_acs(world.forge(clock_offset=45)).status_code == 303


@pytest.mark.parametrize("hash_name", ["sha384", "sha512"])
def test_stronger_hashes_are_accepted(world: World, hash_name: str) -> None:
    assert world.browser().post_acs(world.forge(sig_hash=hash_name, sign="both")).status_code == 303


def test_response_signature_stripped_when_only_the_response_is_signed(new_world) -> None:
    w = new_world(sub={"require_signed_assertion": False})
    b = w.browser()
    assert_refused(b.post_acs(w.forge(sign="response", after_sign=lambda r, a: strip(r))), "signature-missing", 403)
    assert_refused(b.post_acs(w.forge(sign="none")), "signature-missing", 403)
    # The control: where the subscription accepts a signed Response alone, the intact one logs in.
    assert b.post_acs(w.forge(sign="response")).status_code == 303


def test_stripping_the_response_signature_leaves_a_signed_assertion(world: World) -> None:
    """With both signed, the Assertion's own signature still suffices (the Response is checked when present)."""
    r = world.browser().post_acs(world.forge(sign="both", after_sign=lambda r, a: strip(r)))
    assert r.status_code == 303


def _with_doctype(value: str, doctype: bytes, entity_ref: bytes | None = None) -> str:
    xml = codec.decode_post(value)
    head, _, rest = xml.partition(b"?>")
    if entity_ref:
        rest = rest.replace(b">alice<", b">" + entity_ref + b"<", 1)
    return codec.encode_post(head + b"?>" + doctype + rest)


@pytest.mark.parametrize(
    ("doctype", "ref"),
    [
        (b'<!DOCTYPE samlp:Response [<!ENTITY u "alice">]>', b"&u;"),
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', b"&b;"),
        (b"<!DOCTYPE samlp:Response>", None),
    ],
    ids=["internal-entity", "xxe", "entity-expansion", "bare-doctype"],
)
def test_doctype_and_entities_are_refused(world: World, doctype: bytes, ref: bytes | None) -> None:
    b = world.browser()
    assert_refused(b.post_acs(_with_doctype(world.forge(), doctype, ref)), "doctype-forbidden", 400)
    assert b.whoami()[0] == 401


def test_in_response_to_from_another_browser(world: World) -> None:
    victim, attacker = world.browser(), world.browser()
    rid, _ = victim.start()
    value = world.forge(in_response_to=rid)
    assert_refused(attacker.post_acs(value), "in-response-to-other-session", 400)
    assert attacker.whoami()[0] == 401
    # The attempt did not use up the victim's request: the victim's own answer still logs in.
    assert victim.post_acs(world.forge(in_response_to=rid)).status_code == 303


def test_in_response_to_is_answered_once(world: World) -> None:
    b = world.browser()
    rid, _ = b.start()
    assert b.post_acs(world.forge(in_response_to=rid)).status_code == 303
    assert_refused(b.post_acs(world.forge(in_response_to=rid)), "in-response-to-unknown")


def test_expired_request(new_world) -> None:
    w = new_world(sp_config={"request_lifetime": 0})
    b = w.browser()
    rid, _ = b.start()
    time.sleep(0.01)
    assert_refused(b.post_acs(w.forge(in_response_to=rid)), "in-response-to-unknown")


def test_unsolicited_refused_where_the_subscription_forbids_it(new_world) -> None:
    w = new_world(sub={"allow_idp_initiated": False})
    b = w.browser()
    assert_refused(b.post_acs(w.forge()), "unsolicited-not-allowed", 400)
    assert_refused(b.idp_initiated("alice"), "unsolicited-not-allowed", 400)
    assert b.login().status_code == 303  # SP-initiated still works


def test_replay_is_refused(world: World) -> None:
    first, second = world.browser(), world.browser()
    value = world.forge()
    assert first.post_acs(value).status_code == 303
    assert_refused(first.post_acs(value), "replayed", 403)
    assert_refused(second.post_acs(value), "replayed", 403)
    assert second.whoami()[0] == 401


def test_replay_is_refused_after_a_restart(world: World) -> None:
    value = world.forge()
    assert world.browser().post_acs(value).status_code == 303
    world.restart_sp()
    b = world.browser()
    assert_refused(b.post_acs(value), "replayed", 403)
    assert world.sp.store.count_replay() == 1


def test_replay_of_a_solicited_response(world: World) -> None:
    b = world.browser()
    r = b.login()
    assert r.status_code == 303
    saml_in = [e for e in world.events if e.kind == "saml" and e.actor == "sp" and e.direction == "recv"]
    assert_refused(b.post_acs(saml_in[-1].value), "replayed", 403)


def test_oversized_body_is_refused_fast(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from work_counter import signature_checks, xml_parses

    b = world.browser()
    big = "A" * (10 * 1024 * 1024)
    checks, parses = signature_checks(monkeypatch), xml_parses(monkeypatch)
    r = b.post_acs(big)
    assert_refused(r, "message-too-large", 413)
    assert parses.calls["fromstring"] == 0 and checks.total == 0  # nothing was decoded


def test_body_just_over_the_limit(world: World) -> None:
    r = world.browser().post_acs("A" * (world.sp_config.max_body + 1))
    assert_refused(r, "message-too-large", 413)


@pytest.mark.parametrize(
    "value", ["%%%not base64%%%", "PHNhbWx", "PD94bWw=\u00e9"], ids=["junk", "padding", "non-ascii"]
)
def test_malformed_base64(world: World, value: str) -> None:
    assert_refused(world.browser().post_acs(value), "malformed-message", 400)


def test_deflated_saml_response_is_refused(world: World) -> None:
    """HTTP-POST is plain base64; pysaml2 would inflate this, the SP must not."""
    value = codec.encode_redirect(codec.decode_post(world.forge()))
    r = world.browser().post_acs(value)
    assert_refused(r, "malformed-message", 400)
    assert "DEFLATE" in r.get_data(as_text=True)


def test_not_xml(world: World) -> None:
    assert_refused(world.browser().post_acs(codec.encode_post(b"hello")), "malformed-xml", 400)


def test_missing_saml_response(world: World) -> None:
    b = world.browser()
    assert_refused(b.sp.post(world.sp_config.acs_path, data={}), "message-missing", 400)
    assert_refused(b.sp.get(world.sp_config.acs_path), "bad-request", 405)


def test_an_authn_request_is_not_a_response(world: World) -> None:
    b = world.browser()
    _, r = b.start()
    from urllib.parse import parse_qs, urlsplit

    xml = codec.decode_redirect(parse_qs(urlsplit(r.headers["Location"]).query)["SAMLRequest"][0])
    assert_refused(b.post_acs(codec.encode_post(xml)), "not-a-response", 400)


def test_saml_1_response(world: World) -> None:
    xml = b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1"/>'
    assert_refused(world.browser().post_acs(codec.encode_post(xml)), "not-saml2", 400)


@pytest.mark.parametrize(
    "relay",
    ["https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", "evil", "/a\r\nSet-Cookie: x=1"],
    ids=["absolute", "scheme-relative", "backslash", "javascript", "relative", "crlf"],
)
def test_relay_state_off_site_is_refused(world: World, relay: str) -> None:
    b = world.browser()
    assert_refused(b.post_acs(world.forge(), relay_state=relay), "relay-state-offsite", 400)
    assert b.whoami()[0] == 401
    r = b.sp.get(world.sp_config.login_path, query_string={"idm_key": world.sub.idm_key, "RelayState": relay})
    assert_refused(r, "relay-state-offsite", 400)


def test_nameid_comment_injection_does_not_log_in_as_alice(world: World) -> None:
    """Signed for "alice<!---->.evil" (exc-c14n ignores comments): never "alice"."""

    def inject(r: etree._Element, a: etree._Element) -> None:
        n = name_id(a)
        n.text = "alice"
        c = etree.Comment("")
        c.tail = ".evil"
        n.append(c)

    b = world.browser()
    value = world.forge(user=IdPUser("alice.evil", "x"), after_sign=inject)
    assert b"alice<!---->.evil" in codec.decode_post(value)
    r = b.post_acs(value)
    assert_refused(r, "user-not-found", 400)
    assert "alice.evil" in r.get_data(as_text=True)
    assert b.whoami()[0] == 401
    # The signature itself verified: the refusal is the mapping's, not the signature's.
    checks = {c.name: c.ok for c in world.verdicts()[-1].checks}
    assert checks["Assertion signature"] is True


def test_nameid_comment_injection_in_attribute_source(new_world) -> None:
    w = new_world(sub={"identity_source": "attribute:mail", "mapping_mode": "external_id"})

    def inject(r: etree._Element, a: etree._Element) -> None:
        for attr in a.iter(A("Attribute")):
            if attr.get("Name") == "mail":
                v = attr.find(A("AttributeValue"))
                v.text = "ops@corp.test"
                c = etree.Comment("x")
                c.tail = ".evil"
                v.append(c)

    w.sp_config.subscriptions[0].accounts[0].external_id = "ops@corp.test"
    b = w.browser()
    assert_refused(b.post_acs(w.forge(user="mallory", after_sign=inject)), "signature-invalid", 403)


@pytest.mark.parametrize("value", [" alice", "alice ", "alice\n", "\talice", "ALICE", "alice\u200b"])
def test_nameid_whitespace_and_lookalikes_do_not_match(world: World, value: str) -> None:
    b = world.browser()
    r = b.post_acs(world.forge(before_sign=lambda r, a: setattr(name_id(a), "text", value)))
    assert_refused(r, "user-not-found", 400)
    assert b.whoami()[0] == 401


def test_unknown_idm_key(world: World) -> None:
    b = world.browser()
    assert_refused(b.sp.get(world.sp_config.login_path, query_string={"idm_key": "9999"}), "unknown-subscription", 404)
    assert_refused(b.sp.get(world.sp_config.login_path), "unknown-subscription", 404)


def test_nds_off(new_world) -> None:
    w = new_world(sub={"nds_enabled": False})
    b = w.browser()
    assert_refused(b.sp.get(w.sp_config.login_path, query_string={"idm_key": w.sub.idm_key}), "nds-required")
    assert_refused(b.post_acs(w.forge()), "nds-required")
    assert b.whoami()[0] == 401


def test_saml_not_configured(new_world) -> None:
    w = new_world(sub={"idp_cert_pem": b""})
    b = w.browser()
    r = b.sp.get(w.sp_config.login_path, query_string={"idm_key": w.sub.idm_key})
    assert_refused(r, "saml-not-configured")
    assert_refused(b.post_acs(w.forge()), "saml-not-configured")


def test_unloadable_trusted_certificate(new_world) -> None:
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    w = new_world(sub={"idp_cert_pem": bad})
    r = w.browser().post_acs(w.forge())
    assert_refused(r, "trust-misconfigured")


def test_no_refusal_is_ever_a_5xx(world: World, keys: Keys) -> None:
    """A few odd inputs straight at every route: always an answer below 500."""
    b = world.browser()
    probes = [
        b.sp.post(world.sp_config.acs_path, data={"SAMLResponse": codec.encode_post(b"<a/>" * 3)}),
        b.sp.post(world.sp_config.acs_path, data=b"\xff\xfe", content_type="application/x-www-form-urlencoded"),
        b.sp.post(world.sp_config.acs_path, data="x", content_type="multipart/form-data; boundary=zz"),
        b.sp.get("/fo/pick", query_string={"t": "x"}),
        b.sp.post("/fo/pick", data={"t": "x", "login": "alice"}),
        b.sp.get("/api/2.0/fo/user/", headers={"Authorization": "Basic !!!"}),
        b.sp.get("/api/2.0/fo/user/", headers={"Authorization": "Bearer abc"}),
        b.sp.get("/metadata", query_string={"idm_key": ""}),
        b.sp.open("/whoami", method="DELETE"),
    ]
    for r in probes:
        assert r.status_code < 500, (r.request.path, r.status_code, reason(r))


def test_refusal_pages_escape_what_the_message_carried(world: World) -> None:
    """Reason pages quote the NameID and RelayState back: escaped, never markup."""
    b = world.browser()
    evil = "<script>alert(1)</script>"
    r = b.post_acs(world.forge(before_sign=lambda r, a: setattr(name_id(a), "text", evil)))
    assert_refused(r, "user-not-found")
    html = r.get_data(as_text=True)
    assert evil not in html and "&lt;script&gt;" in html
    r = b.post_acs(world.forge(), relay_state=f'https://evil.test/"{evil}')
    assert_refused(r, "relay-state-offsite")
    assert evil not in r.get_data(as_text=True)
