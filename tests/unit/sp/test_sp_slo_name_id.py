"""sp.slo_name_id: the NameID of a LogoutRequest, decrypted from an EncryptedID with a subscription's key."""

from __future__ import annotations

import copy

import pytest
from lxml import etree
from saml_helpers import keys

from samlkit import logout, ns, xmlenc
from sp.contract.reasons import Refusal
from sp.model import Subscription
from sp.slo import Checks
from sp.slo_name_id import open_name_id


def _request(*, encrypt_to: bytes | None) -> etree._Element:
    root = logout.logout_request(issuer="idp", destination="sp/slo", name_id="alice", session_index="_s")
    if encrypt_to is not None:
        xmlenc.encrypt_name_id(root.find(ns.q(ns.SAML, "NameID")), encrypt_to)
    return root


def _sub(idm_key: str, key_pem: bytes = b"", policy: str = "accept") -> Subscription:
    return Subscription(idm_key=idm_key, name=f"Sub {idm_key}", encryption_key_pem=key_pem, assertion_encryption=policy)


def _open(root, subs):
    checks = Checks()
    view, kept = open_name_id(checks, root, subs, logout.read_request(root))
    return view, kept, checks.items


def test_a_clear_name_id_is_left_as_it_is() -> None:
    subs = [_sub("1")]
    view, kept, checks = _open(_request(encrypt_to=None), subs)
    assert view.name_id == "alice" and kept == subs and checks == []


def test_the_subscription_whose_key_decrypts_it_gives_the_name_id() -> None:
    k = keys().sp_encryption
    root = _request(encrypt_to=k.cert_pem)
    assert logout.read_request(root).name_id == ""
    mine = _sub("2", k.key_pem)
    view, kept, checks = _open(root, [_sub("1", keys().foreign.key_pem), _sub("3"), mine])
    assert (view.name_id, kept) == ("alice", [mine])
    assert checks[-1].ok and "Sub 2" in checks[-1].detail


@pytest.mark.parametrize(
    "subs",
    [
        [_sub("1")],  # no key at all
        [_sub("1", keys().foreign.key_pem)],  # another key
        [_sub("1", keys().sp_encryption.key_pem, policy="plain")],  # the key, but plain NameIDs only
    ],
)
def test_an_encrypted_id_no_subscription_decrypts_is_refused(subs) -> None:
    with pytest.raises(Refusal) as err:
        _open(_request(encrypt_to=keys().sp_encryption.cert_pem), subs)
    assert err.value.code == "decryption-failed"


def test_an_encrypted_id_beside_a_name_id_is_malformed() -> None:
    root = _request(encrypt_to=keys().sp_encryption.cert_pem)
    root.find(ns.q(ns.SAML, "Issuer")).addnext(copy.deepcopy(_request(encrypt_to=None).find(ns.q(ns.SAML, "NameID"))))
    with pytest.raises(Refusal) as err:
        _open(root, [_sub("1", keys().sp_encryption.key_pem)])
    assert err.value.code == "encrypted-malformed"


def test_an_encrypted_id_deeper_than_the_request_itself_is_not_read() -> None:
    """One inside ds:Signature (or anywhere but a direct child) names nobody: the NameID stays empty."""
    root = _request(encrypt_to=None)
    name_id = root.find(ns.q(ns.SAML, "NameID"))
    holder = etree.SubElement(root, ns.q(ns.DS, "Signature"))
    holder.append(copy.deepcopy(name_id))
    root.remove(name_id)
    xmlenc.encrypt_name_id(holder[0], keys().sp_encryption.cert_pem)
    view, _, _ = _open(root, [_sub("1", keys().sp_encryption.key_pem)])
    assert view.name_id == ""
