"""Encrypting the Assertion of an edited message (issue 8's XML Encryption, `samlkit.xmlenc`).

Loaded lazily: a build without `samlkit.xmlenc` refuses the choice with a clear "not available"
error rather than sending something else than what the tester chose.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from lxml import etree

from harness.core.workbench.message import WorkbenchError
from samlkit import ns

NOT_AVAILABLE = (
    "encrypting the Assertion is not available in this build yet (samlkit.xmlenc is missing): "
    "send it unencrypted, or update the harness"
)


@dataclass
class EncryptionChoice:
    cert_pem: bytes
    data_alg: str = "aes256-gcm"
    key_alg: str = "rsa-oaep-mgf1p"


def available() -> bool:
    try:
        module = importlib.import_module("samlkit.xmlenc")
    except ImportError:
        return False
    return hasattr(module, "encrypt_assertion")


def encrypt(root: etree._Element, choice: EncryptionChoice) -> None:
    """Replace each Assertion of the Response by its EncryptedAssertion (after signing)."""
    try:
        xmlenc = importlib.import_module("samlkit.xmlenc")
        encrypt_assertion = xmlenc.encrypt_assertion
    except (ImportError, AttributeError) as err:
        raise WorkbenchError(NOT_AVAILABLE) from err
    assertions = root.findall(ns.q(ns.SAML, "Assertion"))
    if not assertions:
        raise WorkbenchError("the message has no Assertion to encrypt")
    for assertion in assertions:
        try:
            out = encrypt_assertion(assertion, choice.cert_pem, choice.data_alg, choice.key_alg)
        except Exception as err:
            raise WorkbenchError(f"encrypting the Assertion failed: {err}") from err
        if isinstance(out, etree._Element) and assertion.getparent() is root and out.getparent() is None:
            root.replace(assertion, out)
