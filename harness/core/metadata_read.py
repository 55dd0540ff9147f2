"""Read SAML metadata (a file's bytes or a URL) safely, for the questionnaire and external SPs.

Metadata comes from outside: it is parsed with DOCTYPEs refused (samlkit.safexml), fetched
with a timeout and a size cap, and every way it can disappoint is a `MetadataError` in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from harness.core.certs import CertError, normalize_cert_pem
from samlkit import ns
from samlkit.safexml import UnsafeXML, parse

MAX_METADATA_BYTES = 5 * 1024 * 1024  # federation aggregates run to megabytes; single entities are small
FETCH_TIMEOUT = 15.0
SAML2_PROTOCOL = ns.SAMLP
SAML11_PROTOCOL = "urn:oasis:names:tc:SAML:1.1:protocol"


class MetadataError(ValueError):
    """Metadata that cannot be used, with the reason a tester can act on."""


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_METADATA_BYTES) -> bytes:
    """GET `url` (http or https only), refusing answers larger than `max_bytes`."""
    import requests

    if not url.lower().startswith(("http://", "https://")):
        raise MetadataError(f"{url!r} is not an http(s) URL")
    try:
        with requests.get(url, timeout=timeout, stream=True, headers={"Accept": "application/samlmetadata+xml"}) as r:
            if r.status_code != 200:
                raise MetadataError(f"fetching {url} answered HTTP {r.status_code}, not the metadata")
            declared = r.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MetadataError(f"the metadata at {url} is {declared} bytes, over the limit of {max_bytes}")
            chunks, size = [], 0
            for chunk in r.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MetadataError(f"the metadata at {url} is larger than the limit of {max_bytes} bytes")
                chunks.append(chunk)
    except requests.RequestException as err:
        raise MetadataError(f"cannot fetch {url}: {err}") from err
    return b"".join(chunks)


def load_source(source: bytes | str | Path, **fetch_kw: float) -> bytes:
    """Metadata bytes from XML bytes, XML text, an http(s) URL or a file path."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return _read_file(source)
    text = source.strip()
    if text.startswith("<"):
        return text.encode("utf-8")
    if text.lower().startswith(("http://", "https://")):
        return fetch(text, **fetch_kw)  # type: ignore[arg-type]
    return _read_file(Path(text))


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_METADATA_BYTES:
            raise MetadataError(f"{path} is {size} bytes, over the metadata limit of {MAX_METADATA_BYTES}")
        return path.read_bytes()
    except FileNotFoundError:
        raise MetadataError(f"{path} does not exist (give a metadata file or an http(s) URL)") from None
    except OSError as err:
        raise MetadataError(f"cannot read {path}: {err}") from err


def parse_metadata(data: bytes) -> etree._Element:
    try:
        root = parse(data, MAX_METADATA_BYTES)
    except UnsafeXML as err:
        raise MetadataError(f"the metadata was refused: {err.message}") from err
    if root.tag not in (ns.q(ns.MD, "EntityDescriptor"), ns.q(ns.MD, "EntitiesDescriptor")):
        raise MetadataError(
            f"this is not SAML metadata: the root element is {etree.QName(root).localname!r}, "
            "not EntityDescriptor or EntitiesDescriptor"
        )
    return root


@dataclass
class RoleDescriptor:
    """One IDPSSODescriptor or SPSSODescriptor, read into plain values."""

    entity_id: str
    kind: str  # "idp" | "sp"
    protocols: list[str]
    signing_certs: list[bytes] = field(default_factory=list)  # PEM, in document order
    encryption_certs: list[bytes] = field(default_factory=list)  # PEM of KeyDescriptor use="encryption" only
    encryption_methods: list[str] = field(default_factory=list)  # their EncryptionMethod Algorithms, in order
    endpoints: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (binding, url, index, default)
    slo_endpoints: list[tuple[str, str]] = field(default_factory=list)  # SingleLogoutService (binding, url)
    nameid_formats: list[str] = field(default_factory=list)
    want_assertions_signed: bool | None = None
    authn_requests_signed: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def saml2(self) -> bool:
        return SAML2_PROTOCOL in self.protocols


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("true", "1")


def roles(root: etree._Element, kind: str) -> list[RoleDescriptor]:
    """Every descriptor of `kind` ("idp" or "sp") in the document, with its entity's ID."""
    local = "IDPSSODescriptor" if kind == "idp" else "SPSSODescriptor"
    endpoint = "SingleSignOnService" if kind == "idp" else "AssertionConsumerService"
    found = []
    entities = (
        [root] if root.tag == ns.q(ns.MD, "EntityDescriptor") else list(root.iter(ns.q(ns.MD, "EntityDescriptor")))
    )
    for entity in entities:
        entity_id = (entity.get("entityID") or "").strip()
        for desc in entity.findall(ns.q(ns.MD, local)):
            rd = RoleDescriptor(
                entity_id=entity_id, kind=kind, protocols=(desc.get("protocolSupportEnumeration") or "").split()
            )
            for kd in desc.findall(ns.q(ns.MD, "KeyDescriptor")):
                if kd.get("use") == "encryption":
                    _read_encryption_key(kd, rd)
                    continue
                if kd.get("use") not in (None, "", "signing"):
                    continue
                for el in kd.iter(ns.q(ns.DS, "X509Certificate")):
                    try:
                        rd.signing_certs.append(normalize_cert_pem(el.text or ""))
                    except CertError as err:
                        rd.notes.append(f"a signing certificate in the metadata was skipped: {err}")
            for ep in desc.findall(ns.q(ns.MD, endpoint)):
                rd.endpoints.append(
                    (
                        ep.get("Binding") or "",
                        (ep.get("Location") or "").strip(),
                        ep.get("index") or "",
                        _bool(ep.get("isDefault")) is True,
                    )
                )
            rd.slo_endpoints = [
                (ep.get("Binding") or "", (ep.get("Location") or "").strip())
                for ep in desc.findall(ns.q(ns.MD, "SingleLogoutService"))
            ]
            rd.nameid_formats = [(el.text or "").strip() for el in desc.findall(ns.q(ns.MD, "NameIDFormat"))]
            rd.want_assertions_signed = _bool(desc.get("WantAssertionsSigned"))
            rd.authn_requests_signed = _bool(desc.get("AuthnRequestsSigned"))
            found.append(rd)
    return found


def _read_encryption_key(kd: etree._Element, rd: RoleDescriptor) -> None:
    for el in kd.iter(ns.q(ns.DS, "X509Certificate")):
        try:
            rd.encryption_certs.append(normalize_cert_pem(el.text or ""))
        except CertError as err:
            rd.notes.append(f"an encryption certificate in the metadata was skipped: {err}")
    rd.encryption_methods += [m.get("Algorithm") or "" for m in kd.findall(ns.q(ns.MD, "EncryptionMethod"))]


def pick_role(root: etree._Element, kind: str, entity_id: str | None = None) -> RoleDescriptor:
    """The one SAML 2.0 descriptor of `kind`, or a MetadataError that says what is there instead."""
    label = "IDPSSODescriptor (an identity provider)" if kind == "idp" else "SPSSODescriptor (a service provider)"
    every = roles(root, kind)
    if not every:
        other = "SPSSODescriptor" if kind == "idp" else "IDPSSODescriptor"
        hint = (
            f"; it has an {other}: is this the other side's metadata?"
            if roles(root, "sp" if kind == "idp" else "idp")
            else ""
        )
        raise MetadataError(f"the metadata has no {label}{hint}")
    if entity_id is not None:
        every = [r for r in every if r.entity_id == entity_id]
        if not every:
            raise MetadataError(f"the metadata has no {label} for the entityID {entity_id!r}")
    saml2 = [r for r in every if r.saml2]
    if not saml2:
        protocols = ", ".join(sorted({p for r in every for p in r.protocols})) or "none"
        raise MetadataError(
            f"the {label} does not support SAML 2.0 (protocolSupportEnumeration: {protocols}); "
            "the SP speaks only SAML 2.0"
        )
    ids = sorted({r.entity_id for r in saml2})
    if len(ids) > 1:
        shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
        raise MetadataError(f"the metadata describes {len(ids)} entities ({shown}): say which entityID to use")
    role = saml2[0]
    if not role.entity_id:
        raise MetadataError("the EntityDescriptor has no entityID attribute")
    return role


def post_acs(role: RoleDescriptor) -> tuple[str, int, dict[str, str]]:
    """The SP's HTTP-POST AssertionConsumerService (the default one, else the lowest index), its
    index, and every other indexed HTTP-POST ACS by index."""
    posts = [(idx, default, url) for binding, url, idx, default in role.endpoints if binding == ns.BINDING_POST and url]
    if not posts:
        offered = ", ".join(sorted({b.rsplit(":", 1)[-1] for b, _, _, _ in role.endpoints})) or "none"
        raise MetadataError(
            f"the SP {role.entity_id} has no AssertionConsumerService with the HTTP-POST binding (it offers: {offered})"
        )
    defaults = [p for p in posts if p[1]]
    chosen = (defaults or sorted(posts, key=lambda p: int(p[0]) if p[0].isdigit() else 1 << 30))[0]
    index = int(chosen[0]) if str(chosen[0]).isdigit() else 0
    others = {str(idx): url for idx, _, url in posts if str(idx).isdigit() and int(idx) != index}
    return chosen[2], index, others


def post_acs_url(role: RoleDescriptor) -> str:
    return post_acs(role)[0]
