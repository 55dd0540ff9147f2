"""Encrypting the Assertion: until samlkit.xmlenc lands, a clear "not available" error."""

from __future__ import annotations

import pytest

from harness.core.workbench import encryption
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml


def test_encryption_is_refused_in_words_when_xmlenc_is_missing(signed: OpenMessage) -> None:
    if encryption.available():
        pytest.fail("samlkit.xmlenc has landed: replace this test with a real encrypt-and-send test")
    with pytest.raises(WorkbenchError, match="not available"):
        encryption.encrypt(parse_xml(signed.xml), encryption.EncryptionChoice(cert_pem=b""))
