"""sp.validate.Validator on its own, with a fixed clock: time-window edges, what the identity
holds, the three stages and the InResponseTo bookkeeping."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from saml_helpers import IDP_ENTITY, keys, subscription

from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import build_unsigned, sign_as_configured
from samlkit import codec, ns
from sp.refusal import Refusal
from sp.validate import Validator, issuers_of, parse_instant

ACS = "https://sp.test/IdM/saml2/"
SP_ENTITY = "urn:test:sp"
T0 = dt.datetime(2030, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
USER = IdPUser("alice", "pw", email="alice@corp.test", first_name="Alice", groups=["qa", "ops"])


def value(*, now: dt.datetime = T0, in_response_to: str | None = None, bend=None, **sp_kw) -> str:
    sp = SPSettings(entity_id=SP_ENTITY, acs_url=ACS, **sp_kw)
    resp, a = build_unsigned(idp_entity_id=IDP_ENTITY, sp=sp, user=USER, in_response_to=in_response_to, now=now)
    if bend:
        bend(resp, a)
    sign_as_configured(resp, a, sp, keys().idp.key_pem, keys().idp.cert_pem)
    return codec.encode_post(etree.tostring(resp))


class Requests:
    """An outstanding-request table as the store keeps it."""

    def __init__(self, **waiting: dict) -> None:
        self.waiting = dict(waiting)
        self.taken: list[str] = []

    def peek(self, rid: str) -> dict | None:
        return self.waiting.get(rid)

    def take(self, rid: str) -> dict | None:
        self.taken.append(rid)
        return self.waiting.pop(rid, None)


def validator(now: dt.datetime = T0, skew: int = 60, requests: Requests | None = None, **sub_kw) -> Validator:
    requests = requests or Requests()
    return Validator(
        sub=subscription(**sub_kw),
        sp_entity_id=SP_ENTITY,
        acs_url=ACS,
        skew=skew,
        take_request=requests.take,
        peek_request=requests.peek,
        browser="browser-1",
        now=now,
    )


def code_of(v: Validator, val: str) -> str:
    with pytest.raises(Refusal) as err:
        v.run(val)
    assert err.value.checks is v.checks or err.value.checks == v.checks
    return err.value.code


def test_identity_holds_what_the_assertion_says() -> None:
    ident = validator().run(value())
    assert ident.name_id == "alice" and ident.issuer == IDP_ENTITY
    assert ident.name_id_format == ns.NAMEID_FORMATS["unspecified"]
    assert ident.attributes["mail"] == ["alice@corp.test"]
    assert ident.attributes["groups"] == ["qa", "ops"]
    assert ident.authn_context == ns.AC_PASSWORD_PROTECTED
    assert ident.session_index.startswith("_")
    assert ident.in_response_to is None
    # Remembered for replay until the assertion's NotOnOrAfter (T0 + 300 s) plus the skew.
    assert ident.expires == (T0 + dt.timedelta(seconds=300 + 60)).timestamp()


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (299, None),  # inside the lifetime
        (300 + 59, None),  # past NotOnOrAfter but within the skew
        (300 + 60, "expired"),  # at NotOnOrAfter + skew
        (-30 - 60, None),  # NotBefore is T0 - 30 s: exactly the skew early
        (-30 - 61, "not-yet-valid"),
    ],
)
def test_time_window_edges(offset: int, code: str | None) -> None:
    v = validator(now=T0 + dt.timedelta(seconds=offset))
    if code is None:
        assert v.run(value()).name_id == "alice"
    else:
        assert code_of(v, value()) == code


def test_skew_is_configurable() -> None:
    late = T0 + dt.timedelta(seconds=300 + 100)
    assert code_of(validator(now=late, skew=60), value()) == "expired"
    assert validator(now=late, skew=120).run(value()).name_id == "alice"


def test_solicited_response_takes_its_request() -> None:
    reqs = Requests(_r1={"idm_key": "1001", "browser": "browser-1", "relay_state": "/x"})
    v = validator(requests=reqs)
    ident = v.run(value(in_response_to="_r1"))
    assert ident.in_response_to == "_r1"
    assert v.request == {"idm_key": "1001", "browser": "browser-1", "relay_state": "/x"}
    assert reqs.waiting == {}


def test_another_browsers_response_does_not_take_the_request() -> None:
    reqs = Requests(_r1={"idm_key": "1001", "browser": "someone-else", "relay_state": None})
    assert code_of(validator(requests=reqs), value(in_response_to="_r1")) == "in-response-to-other-session"
    assert reqs.taken == [] and "_r1" in reqs.waiting


def test_another_subscriptions_request() -> None:
    reqs = Requests(_r1={"idm_key": "2002", "browser": "browser-1", "relay_state": None})
    assert code_of(validator(requests=reqs), value(in_response_to="_r1")) == "in-response-to-other-session"


def test_request_taken_between_peek_and_take() -> None:
    """Two posts race for one request: the one that loses the atomic take is refused."""
    reqs = Requests(_r1={"idm_key": "1001", "browser": "browser-1", "relay_state": None})
    reqs.take = lambda rid: None  # someone else took it first
    assert code_of(validator(requests=reqs), value(in_response_to="_r1")) == "in-response-to-unknown"


def test_reader_forks_per_subscription() -> None:
    reader = Validator(
        sub=None, sp_entity_id=SP_ENTITY, acs_url=ACS, skew=60, take_request=lambda _r: None, browser=None, now=T0
    )
    root = reader.read(value())
    with pytest.raises(RuntimeError):
        reader.check_trust(root)
    a = reader.for_subscription(subscription())
    b = reader.for_subscription(subscription(idp_cert_pem=keys().foreign.cert_pem))
    assert a.checks == b.checks == reader.checks and a.checks is not reader.checks
    assertion = a.check_trust(root)
    with pytest.raises(Refusal) as err:
        b.check_trust(root)
    assert err.value.code == "signature-invalid"
    assert len(reader.checks) == 2  # XML safety and Protocol: the forks did not write into the reader
    assert a.finish(root, assertion).name_id == "alice"


def test_seen_assertion_is_a_replay_before_any_time_check() -> None:
    v = validator(now=T0 + dt.timedelta(days=1))
    v.seen = lambda _id: True
    assert code_of(v, value()) == "replayed"


def test_issuers_of_only_reads_the_response_and_its_direct_assertions() -> None:
    def decoy(resp: etree._Element, a: etree._Element) -> None:
        ext = etree.SubElement(resp, ns.q(ns.SAMLP, "Extensions"))
        etree.SubElement(ext, ns.q(ns.SAML, "Issuer")).text = "https://decoy.test"

    root = etree.fromstring(codec.decode_post(value(bend=decoy)))
    assert issuers_of(root) == {IDP_ENTITY}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-05-01T12:00:00Z", T0),
        ("2030-05-01T12:00:00.123Z", T0 + dt.timedelta(milliseconds=123)),
        ("2030-05-01T14:00:00+02:00", T0),
        ("2030-05-01T12:00:00", T0),
        (" 2030-05-01T12:00:00Z ", T0),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_instant(text: str | None, expected: dt.datetime | None) -> None:
    assert parse_instant(text) == expected
