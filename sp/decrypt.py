"""The ACS's encrypted-assertion stage: the subscription's policy, then decryption into a copy.

Runs inside `Validator.check_trust`, after the envelope checks and before the Assertion is
counted and its signature verified, so every existing check then runs on the decrypted
Assertion. A signed Response is verified first, over the encrypted form it was signed in.
Decryption works on a copy of the document (`xmlenc.decrypt_into`): another candidate
subscription (same IdP EntityID) must see the message as it arrived. Every decryption failure
is one refusal, `decryption-failed`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from lxml import etree

from samlkit import ns, xmlenc
from samlkit.safexml import id_values

if TYPE_CHECKING:
    from sp.validate import Validator

_EA = ns.q(ns.SAML, "EncryptedAssertion")
# EncryptedID/EncryptedAttribute decrypted inside one signed Assertion (an RSA decryption each).
MAX_INNER = 256
_ENCRYPTED_INSIDE = (ns.q(ns.SAML, "EncryptedID"), ns.q(ns.SAML, "EncryptedAttribute"))


def _no_key(v: Validator, why: str) -> None:
    raise v.fail("Encryption", "encrypted-assertion-unsupported", f"The Assertion is encrypted, but {why}.")


def open_assertion(v: Validator, root: etree._Element) -> etree._Element:
    """`root` itself when the Assertion is plain, else a copy with the Assertion decrypted in place."""
    sub = v.sub
    found = list(root.iter(_EA))
    if not found:
        if sub.assertion_encryption == "require":
            raise v.fail(
                "Encryption",
                "encrypted-assertion-required",
                "This subscription requires an encrypted Assertion, but the Assertion arrived unencrypted.",
            )
        return root
    if sub.assertion_encryption == "plain":
        _no_key(v, "this subscription accepts unencrypted assertions only (its encryption policy)")
    if not sub.encryption_key_pem:
        _no_key(v, "this subscription has no encryption key to decrypt it (make one and publish it in the metadata)")
    plain = sum(1 for _ in root.iter("{*}Assertion"))
    if len(found) != 1 or root.find(_EA) is None or plain:
        raise v.fail(
            "Assertion",
            "assertion-count",
            f"The Response holds {len(found)} EncryptedAssertion and {plain} Assertion element(s); "
            "exactly one Assertion, encrypted or not, in place, is allowed.",
        )
    if root.find(ns.q(ns.DS, "Signature")) is not None:
        v._verify("Response", root)  # over the message as signed, before decryption changes it
        v.response_verified = True
    try:
        work, _, info = xmlenc.decrypt_into(
            root.find(_EA), sub.encryption_key_pem, allow_rsa15=sub.encryption_allow_rsa15, max_bytes=v.max_bytes
        )
    except xmlenc.EncryptionProblem as err:
        raise v.fail("Decryption", err.code, f"The EncryptedAssertion was refused: {err.message}.") from None
    except ValueError:
        raise v.fail(
            "Decryption", "trust-misconfigured", "This subscription's encryption key cannot be loaded."
        ) from None
    weak = " (weak, allowed for this subscription)" if info.weak else ""
    v.ok("Decryption", f"{info.data_alg}, key transport {info.key_alg}{weak}, with this subscription's key")
    dups = [k for k, n in Counter(id_values(work)).items() if n > 1]
    if dups:
        raise v.fail("Unique IDs", "duplicate-id", f"The ID {dups[0]!r} occurs more than once once decrypted.")
    for el in work.iter(_EA, ns.q(xmlenc.XENC, "EncryptedData")):
        if el.tag == _EA or el.getparent() is None or el.getparent().tag not in _ENCRYPTED_INSIDE:
            raise v.fail("Decryption", "encrypted-malformed", "The decrypted Assertion holds more encrypted content.")
    return work


def open_identifiers(v: Validator, assertion: etree._Element) -> None:
    """Decrypt an EncryptedID or EncryptedAttribute inside the verified Assertion, in place.

    The Assertion's signature covers them encrypted, so what they decrypt to is as trusted.
    """
    inner = [el for el in assertion.iter(*_ENCRYPTED_INSIDE)]
    if not inner:
        return
    signature = assertion.find(ns.q(ns.DS, "Signature"))
    if signature is not None and any(True for _ in signature.iter(*_ENCRYPTED_INSIDE)):
        # The enveloped signature covers everything but itself: what sits in it is anyone's.
        raise v.fail(
            "Decryption",
            "encrypted-malformed",
            "The Assertion's Signature holds an EncryptedID or EncryptedAttribute, which no signature covers.",
        )
    if len(inner) > MAX_INNER:
        raise v.fail(
            "Decryption",
            "encrypted-malformed",
            f"The Assertion holds {len(inner)} encrypted identifiers and attributes; at most {MAX_INNER} are accepted.",
        )
    sub = v.sub
    if not sub.encryption_key_pem or sub.assertion_encryption == "plain":
        _no_key(v, "an EncryptedID or EncryptedAttribute cannot be decrypted by this subscription")
    for el in inner:
        try:
            el.getparent().replace(
                el, xmlenc.decrypt(el, sub.encryption_key_pem, allow_rsa15=sub.encryption_allow_rsa15)
            )
        except xmlenc.EncryptionProblem as err:
            kind = etree.QName(el).localname
            raise v.fail("Decryption", err.code, f"The {kind} was refused: {err.message}.") from None
        except ValueError:
            raise v.fail(
                "Decryption", "trust-misconfigured", "This subscription's encryption key cannot be loaded."
            ) from None
    v.ok("Decryption", f"{len(inner)} encrypted identifier(s)/attribute(s) inside the signed Assertion")
