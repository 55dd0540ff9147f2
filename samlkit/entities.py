"""Build pysaml2 SP clients and IdP servers from plain values, with in-process crypto.

The rest of the code never sees a pysaml2 config dict: it calls these two functions.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import IdPConfig as _IdPConfig
from saml2.config import SPConfig as _SPConfig
from saml2.metadata import entity_descriptor
from saml2.server import Server

from samlkit import pysaml2_backend
from samlkit.metadata_xml import idp_metadata, sp_metadata


@dataclass(frozen=True)
class PemFiles:
    """pysaml2 reads keys from files; we keep one private temp dir per key pair."""

    key_file: str | None
    cert_file: str | None


_pem_cache: dict[tuple[bytes, bytes], PemFiles] = {}


def pem_files(key_pem: bytes | None, cert_pem: bytes | None) -> PemFiles:
    if not key_pem and not cert_pem:
        return PemFiles(None, None)
    k = (key_pem or b"", cert_pem or b"")
    if k in _pem_cache:
        return _pem_cache[k]
    d = tempfile.mkdtemp(prefix="samlkit-")
    paths: list[str | None] = []
    for name, data in (("key.pem", key_pem), ("cert.pem", cert_pem)):
        if not data:
            paths.append(None)
            continue
        p = os.path.join(d, name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        paths.append(p)
    _pem_cache[k] = PemFiles(paths[0], paths[1])
    return _pem_cache[k]


def make_sp_client(
    *,
    entity_id: str,
    acs_url: str,
    idp_entity_id: str,
    idp_sso_url: str,
    idp_cert_pem: bytes,
    name_id_format: str | None = None,
    allow_unsolicited: bool = True,
    accepted_time_diff: int = 60,
) -> Saml2Client:
    md = idp_metadata(entity_id=idp_entity_id, sso_url=idp_sso_url, cert_pem=idp_cert_pem)
    sp_conf: dict = {
        "endpoints": {"assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)]},
        "allow_unsolicited": allow_unsolicited,
        "authn_requests_signed": False,
        "want_assertions_signed": True,
        "want_response_signed": False,
    }
    if name_id_format:
        sp_conf["name_id_format"] = [name_id_format]
    conf = _SPConfig()
    conf.load(
        {
            "entityid": entity_id,
            "service": {"sp": sp_conf},
            "metadata": {"inline": [md]},
            "xmlsec_binary": pysaml2_backend.PLACEHOLDER_BINARY,
            "accepted_time_diff": accepted_time_diff,
        }
    )
    client = Saml2Client(config=conf)
    pysaml2_backend.install(client)
    return client


def make_idp_server(
    *,
    entity_id: str,
    sso_url: str,
    key_pem: bytes,
    cert_pem: bytes,
    sps: list[tuple[str, str]] | list[tuple[str, str, bytes | None]],
    accepted_time_diff: int = 60,
    slo_url: str = "",
) -> Server:
    """`sps` lists (entity_id, acs_url[, signing cert PEM]) of each SP the IdP serves."""
    files = pem_files(key_pem, cert_pem)
    conf = _IdPConfig()
    conf.load(
        {
            "entityid": entity_id,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (sso_url, BINDING_HTTP_REDIRECT),
                            (sso_url, BINDING_HTTP_POST),
                        ],
                        **(
                            {"single_logout_service": [(slo_url, BINDING_HTTP_REDIRECT), (slo_url, BINDING_HTTP_POST)]}
                            if slo_url
                            else {}
                        ),
                    },
                    "want_authn_requests_signed": False,
                    "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
                }
            },
            "metadata": {"inline": [sp_metadata(entity_id=s[0], acs_url=s[1], cert_pem=_cert(s)) for s in sps]}
            if sps
            else {},
            "key_file": files.key_file,
            "cert_file": files.cert_file,
            "xmlsec_binary": pysaml2_backend.PLACEHOLDER_BINARY,
            "accepted_time_diff": accepted_time_diff,
        }
    )
    server = Server(config=conf)
    pysaml2_backend.install(server, files.key_file, files.cert_file)
    return server


def _cert(sp: tuple) -> bytes | None:
    return sp[2] if len(sp) > 2 else None


def metadata_of(entity: Saml2Client | Server) -> str:
    """The entity's own metadata, as pysaml2 writes it."""
    return str(entity_descriptor(entity.config))
