"""The plain-AuthnRequest reader gives what pysaml2 gives, and hands anything unusual to pysaml2."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree
from saml_helpers import World

from mock_idp.authn_request import ParsedRequest, _parsed
from mock_idp.plain_authn_request import read_plain
from samlkit import codec, ns
from sp import authn_request

OPTIONS = [
    {},
    {"request_force_authn": True, "request_passive": True},
    {"request_nameid_format": "persistent", "request_allow_create": False},
    {"request_nameid_format": "transient", "request_authn_context": ["PasswordProtectedTransport", "X509"]},
    {"request_authn_context": ["PasswordProtectedTransport"], "request_authn_comparison": "minimum"},
]


def _request(world: World, **options: object) -> tuple[str, bytes]:
    sub = replace(world.sub, **options)
    value = authn_request.redirect(world.sp_config, sub, None).saml_request
    return value, codec.decode_redirect(value)


def _by_pysaml2(world: World, value: str) -> ParsedRequest:
    return _parsed(world.idp.server.parse_authn_request(value, ns.BINDING_REDIRECT).message)


def _receivers(world: World) -> list[str]:
    return world.idp.server.config.endpoint("single_sign_on_service", ns.BINDING_REDIRECT, "idp")


@pytest.mark.parametrize("options", OPTIONS)
def test_the_sp_requests_read_the_same_as_by_pysaml2(world: World, options: dict) -> None:
    value, xml = _request(world, **options)
    plain = read_plain(etree.fromstring(xml), _receivers(world))
    assert plain is not None
    assert _parsed(plain) == _by_pysaml2(world, value)


def _edit(xml: bytes, old: str, new: str) -> etree._Element:
    text = xml.decode()
    assert old in text
    return etree.fromstring(text.replace(old, new, 1).encode())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('Version="2.0"', 'Version="2.0" Consent="urn:x"'),  # an attribute it does not know
        ('ID="', 'ID="1'),  # not an NCName
        ("</saml:Issuer>", "<!-- c --></saml:Issuer>"),  # a comment would cut .text short
        ("</saml:Issuer>", "</saml:Issuer><samlp:Scoping/>"),  # an element it does not know
        ('Destination="', 'Destination="http://elsewhere.example/'),  # not this IdP's endpoint
        ('IssueInstant="', 'IssueInstant="x'),  # not a dateTime
        ('Version="2.0"', 'Version="2.0" ForceAuthn="1"'),  # a boolean pysaml2 and we read differently
        ('Version="2.0"', 'Version="2.0" AssertionConsumerServiceIndex="70000"'),  # not an unsignedShort
        ("<saml:Issuer", "<saml:Issuer SPProvidedID='x'"),
    ],
)
def test_anything_unusual_goes_to_pysaml2(world: World, old: str, new: str) -> None:
    _, xml = _request(world)
    assert read_plain(_edit(xml, "", ""), _receivers(world)) is not None
    assert read_plain(_edit(xml, old, new), _receivers(world)) is None


def test_a_request_without_issuer_reads_as_an_empty_issuer(world: World) -> None:
    _, xml = _request(world)
    root = etree.fromstring(xml)
    root.remove(root[0])
    plain = read_plain(root, _receivers(world))
    assert plain is not None and _parsed(plain).issuer == ""


def test_the_memo_of_pysaml2_verdicts_is_bounded_and_per_value(world: World) -> None:
    from mock_idp import plain_authn_request as pa

    pa._pysaml2_reads_instant.cache_clear()
    _, xml = _request(world)
    good = read_plain(_edit(xml, "", ""), _receivers(world))
    assert good is not None
    # the dateTime shape but no date (month 13, 30 February) goes to pysaml2, memoised or not
    for _ in range(2):
        for bad in ("2999-13-01T00:00:00Z", "2026-02-30T00:00:00Z"):
            root = etree.fromstring(xml)
            root.set("IssueInstant", bad)
            assert read_plain(root, _receivers(world)) is None
        assert read_plain(_edit(xml, "", ""), _receivers(world)) is not None
    for i in range(pa._MEMO_SIZE + 20):
        assert pa._memo(pa._pysaml2_reads_instant, f"2026-01-01T00:00:{i % 60:02d}.{i}Z")
    assert pa._pysaml2_reads_instant.cache_info().currsize == pa._MEMO_SIZE
    assert not pa._memo(pa._pysaml2_reads_instant, "2026-02-30T00:00:00Z")
    assert not pa._memo(pa._parses_as_uri, "http://[::1")
    assert pa._memo(pa._parses_as_uri, "https://sp.test/" + "a" * (pa._MEMO_CHARS + 1))  # read, not memoised
