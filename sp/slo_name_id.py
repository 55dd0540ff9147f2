"""The NameID of a LogoutRequest at the SP's SLO endpoint, decrypted when it came as a saml:EncryptedID.

An IdP that encrypts NameIDs (or Assertions) to the SP sends its LogoutRequest with an EncryptedID
(SAML core §3.7.1). The request's signature was verified already and covers the EncryptedID, so
what it decrypts to is as trusted. Only a direct child of the LogoutRequest is read (never one
inside ds:Signature, which no signature covers), and it must be the request's only identifier. It
is decrypted with the encryption key of a subscription whose IdP certificate verified the request;
one no such key decrypts is refused with the ACS's codes (`decryption-failed`, one message for every
cause; `encrypted-malformed`, `encryption-algorithm-unsupported`, `encryption-weak-algorithm` before
any decryption).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lxml import etree

from samlkit import logout, ns, xmlenc
from sp.contract.reasons import Reason
from sp.model import Subscription

if TYPE_CHECKING:
    from sp.slo import Checks

_ENCRYPTED_ID = ns.q(ns.SAML, "EncryptedID")
_IDENTIFIERS = (ns.q(ns.SAML, "NameID"), ns.q(ns.SAML, "BaseID"), _ENCRYPTED_ID)


def open_name_id(
    checks: Checks, root: etree._Element, subs: list[Subscription], view: logout.LogoutRequestView
) -> tuple[logout.LogoutRequestView, list[Subscription]]:
    """(the view with the decrypted NameID, the subscriptions whose key decrypted it); `view` and
    `subs` unchanged when the NameID came in clear."""
    identifiers = [el for el in root if el.tag in _IDENTIFIERS]
    if not any(el.tag == _ENCRYPTED_ID for el in identifiers):
        return view, subs
    if len(identifiers) != 1:
        raise checks.fail(
            "Decryption",
            Reason.ENCRYPTED_MALFORMED,
            f"The LogoutRequest names its principal {len(identifiers)} times; one EncryptedID (or NameID) is allowed.",
        )
    encrypted = identifiers[0]
    opened: list[tuple[Subscription, etree._Element]] = []
    problem: xmlenc.EncryptionProblem | None = None
    for sub in subs:
        if not sub.encryption_key_pem or sub.assertion_encryption == "plain":
            continue
        try:
            opened.append(
                (sub, xmlenc.decrypt(encrypted, sub.encryption_key_pem, allow_rsa15=sub.encryption_allow_rsa15))
            )
        except xmlenc.EncryptionProblem as err:
            problem = problem or err
        except ValueError:  # this subscription's key cannot be loaded: another may decrypt it
            continue
    if not opened:
        if problem is not None and problem.code != xmlenc.DECRYPTION_FAILED:
            raise checks.fail("Decryption", problem.code, f"The EncryptedID was refused: {problem.message}.")
        raise checks.fail(
            "Decryption",
            Reason.DECRYPTION_FAILED,
            "The LogoutRequest's EncryptedID cannot be decrypted with the encryption key of any subscription "
            "that trusts this IdP; nothing was ended.",
        )
    name_id, name_id_format = logout.read_name_id(opened[0][1])
    same = [sub for sub, el in opened if logout.read_name_id(el)[0] == name_id]
    checks.ok("Decryption", f"EncryptedID decrypted with {same[0].name or same[0].idm_key}'s encryption key")
    return replace(view, name_id=name_id, name_id_format=name_id_format), same
