"""Red-team regressions: holes found by attacking the real SP in-process, each now refused with its code.

Three were denials of service by an unsigned forgery (libxmlsec1 digests the referenced element
before it checks the SignatureValue, so every cost below is paid without any trust):
repeated c14n transforms, a huge InclusiveNamespaces PrefixList, and thousands of namespace
declarations over many elements (exclusive c14n's namespace stack is quadratic). The others
answered a generic `bad-request` (an exception caught by the last-resort handler, with no
verdict): a NotOnOrAfter in year 9999 (OverflowError) and a RelayState that `urlsplit` cannot
parse (ValueError). Below the app, http.server answered an over-long header or request line
without a reason code and "HTTP/2.0" with a 505 as a bare HTTP/0.9 body. The battery covers the
message-shaped ones as scenarios.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree
from saml_helpers import World, assert_refused, keys, reason
from work_counter import signature_checks

from harness.core.servers import Servers
from harness.core.workspace import Workspace
from mock_idp.response import build_unsigned
from samlkit import codec, ns, xmldsig
from samlkit.safexml import MAX_NAMESPACES, most_namespaces_in_scope
from sp.validate import parse_instant

pytestmark = pytest.mark.usefixtures("no_process_spawned")

EXC = ns.C14N_EXC


def A(local: str) -> str:
    return ns.q(ns.SAML, local)


def D(local: str) -> str:
    return ns.q(ns.DS, local)


def forged(world: World, *, user: str = "alice", padding: int = 0, key: str = "foreign") -> etree._Element:
    """A Response whose Assertion is signed (by the attacker's key unless `key="idp"`), read back as a fresh
    tree so that every node of the signature can be found and bent."""
    resp, assertion = build_unsigned(
        idp_entity_id=world.idp_config.entity_id,
        sp=world.idp_sp,
        user=world.idp_config.user(user),
        in_response_to=None,
    )
    statement = assertion.find(A("AttributeStatement"))
    for i in range(padding):
        attr = etree.SubElement(statement, A("Attribute"), Name=f"padding{i}")
        etree.SubElement(attr, A("AttributeValue")).text = "x" * 40
    pair = keys().foreign if key == "foreign" else keys().idp
    xmldsig.sign(assertion, pair.key_pem, pair.cert_pem)
    return etree.fromstring(etree.tostring(resp))


def reference(root: etree._Element) -> etree._Element:
    return root.find(f"{A('Assertion')}/{D('Signature')}/{D('SignedInfo')}/{D('Reference')}")


def post(world: World, root: etree._Element | bytes, relay: str | None = None):
    xml = root if isinstance(root, bytes) else etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    r = world.browser().post_acs(codec.encode_post(xml), relay)
    return r, None


def refused_with(world: World, r, code: str) -> None:
    assert_refused(r, code)
    last = world.verdicts()[-1]
    assert last.ok is False and last.code == code, (last.code, last.message)


# -- transforms ------------------------------------------------------------------------------------


def test_repeated_transforms_are_refused_before_signature_checks_them(world: World, monkeypatch) -> None:
    """1,000 exclusive c14n transforms over 1.4 MB cost ~40 s of CPU before the fix, unsigned."""
    root = forged(world, user="bob", padding=2_000)
    transforms = reference(root).find(D("Transforms"))
    for _i in range(1_000):
        etree.SubElement(transforms, D("Transform"), Algorithm=EXC)
    checks = signature_checks(monkeypatch)
    r, _ = post(world, root)
    refused_with(world, r, "transform-forbidden")
    assert checks.total == 0  # no transform ran at all
    post(world, forged(world, key="idp"))
    assert checks.total >= 1  # the counter sees the SP's check when one does run


@pytest.mark.parametrize(
    "algorithms",
    [
        [ns.TRANSFORM_ENVELOPED, EXC, EXC],
        [EXC, ns.TRANSFORM_ENVELOPED],
        [ns.TRANSFORM_ENVELOPED, ns.TRANSFORM_ENVELOPED],
    ],
    ids=["c14n-twice", "reordered", "enveloped-twice"],
)
def test_only_enveloped_then_one_exclusive_c14n(world: World, algorithms: list[str]) -> None:
    root = forged(world, key="idp")
    transforms = reference(root).find(D("Transforms"))
    for t in list(transforms):
        transforms.remove(t)
    for uri in algorithms:
        etree.SubElement(transforms, D("Transform"), Algorithm=uri)
    r, _ = post(world, root)
    refused_with(world, r, "transform-forbidden")


def test_a_second_transforms_list_is_refused(world: World) -> None:
    root = forged(world, key="idp")
    transforms = reference(root).find(D("Transforms"))
    transforms.addnext(etree.fromstring(etree.tostring(transforms)))
    r, _ = post(world, root)
    refused_with(world, r, "transform-forbidden")


def test_a_huge_inclusive_namespaces_prefix_list_is_refused(world: World, monkeypatch) -> None:
    """100,000 prefixes over 10,000 elements took a minute of CPU before the fix."""
    root = forged(world, user="bob", padding=2_000)
    c14n = next(t for t in reference(root).iter(D("Transform")) if t.get("Algorithm") == EXC)
    etree.SubElement(c14n, ns.q(EXC, "InclusiveNamespaces"), PrefixList=" ".join(f"p{i}" for i in range(100_000)))
    checks = signature_checks(monkeypatch)
    r, _ = post(world, root)
    refused_with(world, r, "transform-forbidden")
    assert checks.total == 0


def test_canonicalization_method_parameters_are_bounded(world: World) -> None:
    root = forged(world)
    method = root.find(f"{A('Assertion')}/{D('Signature')}/{D('SignedInfo')}/{D('CanonicalizationMethod')}")
    etree.SubElement(method, ns.q(EXC, "InclusiveNamespaces"), PrefixList=" ".join(f"p{i}" for i in range(33)))
    r, _ = post(world, root)
    refused_with(world, r, "signature-invalid")
    assert "PrefixList" in r.get_data(as_text=True)


def test_a_transform_with_a_stray_child_is_refused(world: World) -> None:
    root = forged(world, key="idp")
    etree.SubElement(reference(root).find(f"{D('Transforms')}/{D('Transform')}"), D("XPath")).text = "true()"
    r, _ = post(world, root)
    refused_with(world, r, "transform-forbidden")


# -- namespaces -------------------------------------------------------------------------------------


def _flood(levels: int, per_level: int, leaves: int) -> bytes:
    def level(n: int) -> str:
        return f"<n{n} " + " ".join(f'xmlns:p{j}="urn:f:{n}:{j}" p{j}:a=""' for j in range(per_level)) + ">"

    closing = "".join(f"</n{n}>" for n in reversed(range(levels)))
    return ("".join(map(level, range(levels))) + "<b/>" * leaves + closing).encode()


def test_a_namespace_flood_is_refused_before_canonicalisation(world: World, monkeypatch) -> None:
    """24,000 declarations over 100,000 empty elements cost ~25 s of c14n before the fix, unsigned."""
    xml = etree.tostring(forged(world, user="bob"), xml_declaration=True, encoding="UTF-8")
    xml = xml.replace(b"</saml:Assertion>", _flood(60, 400, 100_000) + b"</saml:Assertion>", 1)
    checks = signature_checks(monkeypatch)
    r, _ = post(world, xml)
    refused_with(world, r, "too-many-namespaces")
    assert checks.total == 0  # refused before any canonicalisation


def test_an_attribute_flood_is_refused_before_canonicalisation(world: World, monkeypatch) -> None:
    """libxml2's c14n (libxmlsec1's and the SP's own) sorts each element's attributes by list
    insertion: 160,000 attributes on one element cost ~60 s of CPU, unsigned (2,000 here)."""
    xml = etree.tostring(forged(world, user="bob"), xml_declaration=True, encoding="UTF-8")
    flood = b"<x:f xmlns:x='urn:x' " + b" ".join(b"a%d='1'" % i for i in range(2_000)) + b"/>"
    xml = xml.replace(b"</saml:Assertion>", flood + b"</saml:Assertion>", 1)
    checks = signature_checks(monkeypatch)
    r, _ = post(world, xml)
    refused_with(world, r, "too-many-attributes")
    assert checks.total == 0  # refused before any canonicalisation


def test_namespaces_along_one_branch_count_not_those_of_siblings(world: World) -> None:
    """Okta-style values declare xs and xsi each: thousands in the message, two or three in scope."""

    def typed_values(resp: etree._Element, assertion: etree._Element) -> None:
        statement = assertion.find(A("AttributeStatement"))
        nsmap = {"xs": "http://www.w3.org/2001/XMLSchema", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
        for i in range(300):
            attr = etree.SubElement(statement, A("Attribute"), Name=f"typed{i}")
            value = etree.SubElement(attr, A("AttributeValue"), nsmap=nsmap)
            value.set("{http://www.w3.org/2001/XMLSchema-instance}type", "xs:string")
            value.text = f"v{i}"

    value = world.forge(before_sign=typed_values)
    xml = codec.decode_post(value)
    assert xml.count(b"xmlns") > 2 * MAX_NAMESPACES
    assert most_namespaces_in_scope(etree.fromstring(xml)) < 10
    r = world.browser().post_acs(value)
    assert r.status_code == 303, (r.status_code, reason(r))


def test_most_namespaces_in_scope_counts_redeclarations() -> None:
    root = etree.fromstring(b'<a xmlns:x="u" xmlns:y="v"><b xmlns:x="w"><c xmlns:x="w"/></b><d/></a>')
    assert most_namespaces_in_scope(root) == 4


def test_one_element_with_too_many_declarations_is_refused(world: World) -> None:
    decls = " ".join(f'xmlns:q{i}="urn:q:{i}"' for i in range(MAX_NAMESPACES + 1))
    xml = etree.tostring(forged(world, key="idp"), xml_declaration=True, encoding="UTF-8")
    xml = xml.replace(b"<samlp:Response ", f"<samlp:Response {decls} ".encode(), 1)
    r, _ = post(world, xml)
    refused_with(world, r, "too-many-namespaces")


# -- times -----------------------------------------------------------------------------------------


def _every_not_on_or_after(value: str):
    def bend(resp: etree._Element, assertion: etree._Element) -> None:
        for el in assertion.iter():
            if el.get("NotOnOrAfter") is not None:
                el.set("NotOnOrAfter", value)

    return bend


def test_a_year_9999_not_on_or_after_is_a_time_not_a_crash(world: World) -> None:
    """The IdP's word, signed: valid (it used to raise OverflowError and answer a generic bad-request)."""

    def session_too(resp: etree._Element, assertion: etree._Element) -> None:
        _every_not_on_or_after("9999-12-31T23:59:59Z")(resp, assertion)
        assertion.find(A("AuthnStatement")).set("SessionNotOnOrAfter", "9999-12-31T23:59:59Z")

    value = world.forge(before_sign=session_too)
    br = world.browser()
    r = br.post_acs(value)
    assert r.status_code == 303, (r.status_code, reason(r))
    assert br.whoami()[1]["login"] == "alice"
    assert_refused(world.browser().post_acs(value), "replayed")


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-14:00",  # year 10000 once in UTC
        "2999-01-01",
        "29990101T000000Z",
        "2999-W01-1T00:00:00Z",
        "2999-01-01T00:00:00,5Z",
        "2999-01-01T00:00:00+23:59",
        "2999-01-01T23:59:60Z",
        "\u0662\u0669\u0669\u0669-01-01T00:00:00Z",  # Arabic-Indic digits
    ],
)
def test_times_that_are_not_xs_datetime_are_refused(world: World, value: str) -> None:
    r = world.browser().post_acs(world.forge(before_sign=_every_not_on_or_after(value)))
    refused_with(world, r, "time-missing")


def test_parse_instant_reads_xs_datetime_only() -> None:
    assert parse_instant("2030-05-01T12:00:00.123456789Z") == parse_instant("2030-05-01T12:00:00.123456Z")
    assert parse_instant("2030-05-01T14:30:00+02:30") == parse_instant("2030-05-01T12:00:00Z")
    assert parse_instant("0001-01-01T00:00:00Z") is not None
    assert parse_instant("0001-01-01T00:00:00+01:00") is None
    assert parse_instant("2030-02-30T00:00:00Z") is None


# -- RelayState ------------------------------------------------------------------------------------


@pytest.mark.parametrize("relay", ["//[evil.example/phish", "http://[::1", "https://[x/y"])
def test_an_unparsable_relay_state_is_offsite_not_a_crash(world: World, relay: str) -> None:
    r = world.browser().post_acs(world.forge(), relay)
    refused_with(world, r, "relay-state-offsite")
    start = world.browser().sp.get(world.sp_config.login_path, query_string={"idm_key": "1001", "RelayState": relay})
    assert_refused(start, "relay-state-offsite")


# -- HTTP below the app ----------------------------------------------------------------------------


def _raw(host: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_requests_refused_by_the_http_server_name_a_reason_and_are_never_5xx(tmp_path: Path) -> None:
    """431/414 had no X-SAML-Reason; "HTTP/2.0" got a 505 as a bare HTTP/0.9 body (no status line)."""
    ws = Workspace.demo(tmp_path / "ws")
    try:
        with Servers(ws, sp_port=0, idp_port=0) as servers:
            url = urlsplit(servers.sp_base)
            cases = {
                b"GET /whoami HTTP/1.1\r\nHost: x\r\nCookie: sp_browser=" + b"a" * 70_000 + b"\r\n\r\n": (
                    431,
                    b"message-too-large",
                ),
                b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n": (414, b"message-too-large"),
                b"GET /whoami HTTP/2.0\r\nHost: x\r\n\r\n": (400, b"bad-request"),
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n": (400, b"bad-request"),
            }
            for request, (status, code) in cases.items():
                head = _raw(url.hostname, url.port, request).split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                assert head[0].startswith(b"HTTP/1.1 %d " % status), head[0][:80]
                assert b"X-SAML-Reason: " + code in head, head
    finally:
        ws.close()
