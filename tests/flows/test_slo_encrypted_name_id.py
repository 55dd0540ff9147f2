"""IdP-initiated Single Logout to an SP that gets encrypted NameIDs, over loopback HTTP: the mock
IdP's LogoutRequest carries a saml:EncryptedID (never the NameID in clear), and the embedded SP
decrypts it with the subscription's encryption key, or refuses it (`decryption-failed`)."""

from __future__ import annotations

import pytest
from lxml import etree

from harness.core.browser import Credentials, ScriptedBrowser
from harness.core.encryption_config import find_sp, set_idp_encryption, set_sub_encryption
from harness.core.flow import run_flow
from harness.core.logout_flow import check_sessions, log_out
from harness.core.servers import Servers
from samlkit import codec, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def _listen(servers: Servers) -> list:
    events: list = []
    servers.add_listener(events.append)
    return events


def _idp_logout_requests(events: list) -> list[etree._Element]:
    sent = [e for e in events if e.kind == "saml" and e.actor == "idp" and e.direction == "send"]
    out = []
    for e in sent:
        if e.param != "SAMLRequest":
            continue
        xml = codec.decode_redirect(e.value) if e.binding == "HTTP-Redirect" else codec.decode_post(e.value)
        out.append(etree.fromstring(xml))
    return out


@pytest.mark.parametrize("setting", ["encrypt_name_id", "encrypt_assertion"])
def test_the_idp_sends_an_encrypted_id_and_the_sp_decrypts_it(demo, setting) -> None:
    sub = set_sub_encryption(demo, "4711")
    set_idp_encryption(demo, find_sp(demo, None), **{setting: True}, encryption_key=sub.encryption_key)
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        events = _listen(servers)
        r = run_flow(servers, kind="idp-logout", idm_key="4711", username="alice")
    assert r.logout is not None and r.logout.ok, r.logout
    (request,) = _idp_logout_requests(events)
    assert request.tag == ns.q(ns.SAMLP, "LogoutRequest")
    assert request.find(ns.q(ns.SAML, "NameID")) is None
    assert request.find(ns.q(ns.SAML, "EncryptedID")) is not None
    assert b"alice" not in etree.tostring(request.find(ns.q(ns.SAML, "EncryptedID")))
    sp_verdict = next(e for e in events if e.kind == "verdict" and e.actor == "sp" and e.code == "logged-out")
    decryption = [c for c in sp_verdict.checks if c.name == "Decryption"]
    assert decryption and decryption[0].ok and "EncryptedID" in decryption[0].detail


def test_an_sp_that_gets_clear_name_ids_still_gets_a_name_id(demo) -> None:
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        events = _listen(servers)
        r = run_flow(servers, kind="idp-logout", idm_key="4711", username="alice")
    assert r.logout.ok, r.logout
    (request,) = _idp_logout_requests(events)
    assert request.find(ns.q(ns.SAML, "NameID")).text == "alice"


def test_an_encrypted_id_the_sp_cannot_decrypt_is_refused_and_ends_nothing(demo) -> None:
    """After the login, the IdP is set to encrypt to another key pair than the subscription's: the SP
    refuses its LogoutRequest (decryption-failed) and the SP session stays."""
    set_sub_encryption(demo, "4711")
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        events = _listen(servers)
        browser = ScriptedBrowser(Credentials("alice", "alice123"))
        try:
            assert browser.get(servers.login_url("4711")).url.startswith(servers.sp_base)
            demo.save_keypair("someone-else", demo.keypair("idp-old"))
            set_idp_encryption(demo, find_sp(demo, None), encrypt_name_id=True, encryption_key="someone-else")
            servers.reload()
            outcome, _ = log_out(servers, browser, "idp-logout")
            check_sessions(servers, browser, "4711", outcome)
        finally:
            browser.close()
    assert not outcome.ok and not outcome.sp_session_ended
    (request,) = _idp_logout_requests(events)
    assert request.find(ns.q(ns.SAML, "EncryptedID")) is not None
    sp_verdicts = [e for e in events if e.kind == "verdict" and e.actor == "sp" and not e.ok]
    assert sp_verdicts and sp_verdicts[-1].code == "decryption-failed", [(e.code, e.message) for e in sp_verdicts]
