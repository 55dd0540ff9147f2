"""The SP's side of the questionnaire (harness.core.sp_side): what the vendor hands the customer."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from harness.core.questionnaire import sp_side
from harness.core.workspace import Workspace
from samlkit import ns


def test_sp_side_gives_entity_id_acs_url_login_url_and_metadata(tmp_path: Path) -> None:
    ws = Workspace.demo(tmp_path / "ws")
    side = sp_side(ws, idm_key="4711")
    assert side.entity_id == "QualysGuard_SharedPlatformSAML20SP"
    assert side.acs_url == "http://127.0.0.1:8443/IdM/saml2/"
    assert side.login_url == "http://127.0.0.1:8443/fo/login.php?idm_key=4711"
    root = etree.fromstring(side.metadata_xml.encode())
    acs = root.find(f".//{{{ns.MD}}}AssertionConsumerService")
    assert root.get("entityID") == side.entity_id and acs.get("Location") == side.acs_url
    assert acs.get("Binding") == ns.BINDING_POST
    # the subscription's encryption key, as /metadata?idm_key= publishes it (not without an idm_key)
    kd = [k for k in root.iter(f"{{{ns.MD}}}KeyDescriptor") if k.get("use") == "encryption"]
    assert len(kd) == 1 and "encryption" not in sp_side(ws).metadata_xml
    written = side.write(tmp_path / "out")
    assert [p.name for p in written] == ["sp-metadata.xml", "sp-side.txt"]
    assert "ACS URL (HTTP-POST):           http://127.0.0.1:8443/IdM/saml2/" in written[1].read_text()
    other = sp_side(ws, sp_base="https://sp.example")
    assert other.acs_url == "https://sp.example/IdM/saml2/" and other.login_url is None
    ws.close()
