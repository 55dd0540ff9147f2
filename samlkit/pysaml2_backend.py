"""pysaml2's crypto backend, done in-process with the `xmlsec` bindings.

The stock backend forks the `xmlsec1` program about ten times per login. This one signs and
verifies in-process and keeps the stock checks (same-document reference only, no key taken
from KeyInfo), made stricter by `samlkit.xmldsig.verify`.
"""

from __future__ import annotations

import sys
from functools import lru_cache

import xmlsec
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from saml2.sigver import CryptoBackend, RSACrypto, SignatureError, import_rsa_key_from_file

from samlkit import ns, xmldsig
from samlkit.safexml import UnsafeXML, parse

# pysaml2 insists on an existing `xmlsec_binary` path while it builds an entity, although
# it never runs it once the backend below replaces its crypto. Any existing file will do.
PLACEHOLDER_BINARY = sys.executable


@lru_cache(maxsize=64)
def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _find(root: etree._Element, node_name: str, node_id: str | None) -> etree._Element:
    ns_uri, _, local = node_name.rpartition(":")
    tag = ns.q(ns_uri, local)
    for el in root.iter(tag):
        if node_id is None or el.get("ID") == node_id:
            return el
    raise SignatureError(f"no {local} with ID {node_id!r} in the statement")


class InProcessXmlSec(CryptoBackend):
    """A `saml2.sigver.CryptoBackend` on libxmlsec1 through the PyPI `xmlsec` package."""

    def __init__(self, cert_file: str | None = None):
        super().__init__()
        self.cert_file = cert_file

    @property
    def version(self) -> str:
        return ".".join(str(n) for n in xmlsec.get_libxmlsec_version())

    def sign_statement(self, statement, node_name, key_file, node_id):  # pysaml2's API
        if isinstance(statement, str):
            statement = statement.encode("utf-8")
        root = etree.fromstring(statement, etree.XMLParser(resolve_entities=False, no_network=True))
        element = _find(root, node_name, node_id)
        sig = element.find(ns.q(ns.DS, "Signature"))
        if sig is None:
            raise SignatureError("the statement has no signature template to fill")
        cert = _read(self.cert_file) if self.cert_file else None
        try:
            xmldsig.fill(sig, element, _read(key_file), cert)
        except xmlsec.Error as err:
            raise SignatureError(f"signing failed: {err}") from err
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")

    def validate_signature(self, signedtext, cert_file, cert_type, node_name, node_id):
        if isinstance(signedtext, str):
            signedtext = signedtext.encode("utf-8")
        try:
            root = parse(signedtext)
        except UnsafeXML as err:
            raise SignatureError(err.message) from err
        element = _find(root, node_name, node_id)
        cert = _read(cert_file)
        if cert_type == "der" or b"BEGIN CERTIFICATE" not in cert:
            import base64

            body = cert if cert_type != "der" else base64.b64encode(cert)
            cert = b"-----BEGIN CERTIFICATE-----\n" + body.strip() + b"\n-----END CERTIFICATE-----\n"
        try:
            xmldsig.verify(element, cert, allow_sha1=True)
        except xmldsig.SignatureProblem as err:
            raise SignatureError(err.message) from err
        return True


def install(entity, key_file: str | None = None, cert_file: str | None = None) -> None:
    """Swap a pysaml2 entity's crypto for the in-process one (and the RSA helper for Redirect)."""
    entity.sec.crypto = InProcessXmlSec(cert_file=cert_file)
    # Metadata writing would otherwise run `xmlsec --list-transforms` on the placeholder.
    entity.config.xmlsec_binary = None
    if key_file:
        # pysaml2 has already loaded the key into an RSACrypto (loading a key costs ~60 ms);
        # keep it for RSA and drop it for EC keys: Redirect signing is then not offered.
        backend = entity.sec.sec_backend
        if backend is None or not isinstance(backend.key, rsa.RSAPrivateKey):
            try:
                key = import_rsa_key_from_file(key_file)
            except (ValueError, TypeError):
                key = None
            entity.sec.sec_backend = RSACrypto(key) if isinstance(key, rsa.RSAPrivateKey) else None
