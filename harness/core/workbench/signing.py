"""Signing choices for an edited message: keep every signature (to test tampering), strip some,
re-sign the Response and/or the Assertion with the mock IdP's key, any key pair of the workspace,
a PEM pair, or a clone of the certificate in the message (same subject and serial, new key)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from harness.core.certs import KeyPair
from harness.core.workbench.clone import clone_certificate
from harness.core.workbench.message import WorkbenchError
from harness.core.workspace import Workspace, WorkspaceError
from samlkit import ns, xmldsig

PARTS = ("response", "assertion")
KEY_IDP, KEY_CLONE, KEY_PEM = "idp", "clone", "pem"
KEY_PREFIX = "key:"
HASHES = ("sha256", "sha384", "sha512", "sha1")


@dataclass
class SigningChoice:
    """What happens to signatures before the message is sent. `response` means the message's own
    (root) signature, for requests too."""

    strip: set[str] = field(default_factory=set)  # parts whose signature is removed
    resign: set[str] = field(default_factory=set)  # parts signed again (their old signature removed)
    key: str = KEY_IDP  # "idp" | "clone" | "pem" | "key:NAME"
    key_pem: bytes | None = None  # with key="pem"
    cert_pem: bytes | None = None
    hash: str = "sha256"
    digest: str | None = None  # default: the same as `hash`

    def __post_init__(self) -> None:
        for name, parts in (("strip", self.strip), ("re-sign", self.resign)):
            bad = set(parts) - set(PARTS)
            if bad:
                raise WorkbenchError(f"cannot {name} {', '.join(sorted(bad))}: choose response and/or assertion")
        for alg in (self.hash, self.digest or self.hash):
            if alg not in HASHES:
                raise WorkbenchError(f"unknown hash {alg!r}: use one of {', '.join(HASHES)}")

    @property
    def keeps_all(self) -> bool:
        return not self.strip and not self.resign

    def words(self) -> str:
        out = []
        if self.strip - self.resign:
            out.append("stripped the " + " and ".join(sorted(self.strip - self.resign)) + " signature")
        if self.resign:
            out.append("re-signed the " + " and ".join(sorted(self.resign)) + f" ({key_words(self.key)}, {self.hash})")
        return "; ".join(out) or "signatures kept as they were"


def key_words(key: str) -> str:
    if key == KEY_IDP:
        return "the mock IdP's key"
    if key == KEY_CLONE:
        return "a cloned certificate with a new key"
    if key == KEY_PEM:
        return "the given PEM key pair"
    return f"key pair {key[len(KEY_PREFIX) :]}"


def parts_of(root: etree._Element) -> dict[str, list[etree._Element]]:
    """The elements each part names: the root message, and the Assertions directly in it."""
    if root.tag == ns.q(ns.SAML, "Assertion"):
        return {"response": [], "assertion": [root]}
    return {"response": [root], "assertion": root.findall(ns.q(ns.SAML, "Assertion"))}


def first_keyinfo_cert(root: etree._Element) -> bytes | None:
    """The first certificate any signature in the message carries, as PEM (what a clone copies)."""
    for el in root.iter(ns.q(ns.DS, "X509Certificate")):
        body = "".join((el.text or "").split())
        if body:
            lines = [body[i : i + 64] for i in range(0, len(body), 64)]
            return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()
    return None


def resolve_key(choice: SigningChoice, ws: Workspace | None, root: etree._Element | None = None) -> KeyPair:
    """The key pair the choice signs with (a clone is made here, fresh each time)."""
    if choice.key == KEY_PEM:
        if not choice.key_pem or not choice.cert_pem:
            raise WorkbenchError("re-signing with a PEM pair needs both the private key and the certificate")
        return KeyPair(key_pem=choice.key_pem, cert_pem=choice.cert_pem)
    if choice.key == KEY_CLONE:
        cert = first_keyinfo_cert(root) if root is not None else None
        if cert is None:
            cert = _workspace_pair(ws, None).cert_pem
        return clone_certificate(cert)
    if choice.key == KEY_IDP:
        return _workspace_pair(ws, None)
    if choice.key.startswith(KEY_PREFIX):
        return _workspace_pair(ws, choice.key[len(KEY_PREFIX) :])
    raise WorkbenchError(f"unknown key choice {choice.key!r}")


def _workspace_pair(ws: Workspace | None, name: str | None) -> KeyPair:
    if ws is None:
        raise WorkbenchError("re-signing with a workspace key needs a workspace")
    name = name or ws.idp_profile().signing_key
    if name not in ws.keypair_names():
        raise WorkbenchError(f"the workspace has no key pair {name!r} (have: {', '.join(ws.keypair_names())})")
    try:
        return ws.keypair(name)
    except WorkspaceError as err:
        raise WorkbenchError(str(err)) from err


def strip_signatures(el: etree._Element) -> int:
    sigs = el.findall(ns.q(ns.DS, "Signature"))
    for sig in sigs:
        el.remove(sig)
    return len(sigs)


def apply_signing(root: etree._Element, choice: SigningChoice, pair: KeyPair | None) -> None:
    """Strip, then re-sign the Assertions before the message (so the outer digest covers them)."""
    parts = parts_of(root)
    for part in choice.strip | choice.resign:
        for el in parts[part]:
            strip_signatures(el)
    if not choice.resign:
        return
    if pair is None:
        raise WorkbenchError("re-signing needs a key")
    for part in ("assertion", "response"):
        if part not in choice.resign:
            continue
        if not parts[part]:
            raise WorkbenchError(f"the message has no {'Assertion' if part == 'assertion' else 'root element'} to sign")
        for el in parts[part]:
            if not el.get("ID"):
                raise WorkbenchError(f"the {etree.QName(el).localname} has no ID attribute to sign")
            try:
                xmldsig.sign(
                    el, pair.key_pem, pair.cert_pem, hash_name=choice.hash, digest=choice.digest or choice.hash
                )
            except Exception as err:  # xmlsec and cryptography errors, in words
                raise WorkbenchError(f"signing the {etree.QName(el).localname} failed: {err}") from err
