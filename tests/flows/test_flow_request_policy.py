"""What the mock IdP reads from the AuthnRequest, driven from the SP's per-subscription options:
IsPassive, ForceAuthn, NameIDPolicy, RequestedAuthnContext; an error status reaches the SP as a
refusal naming the second-level StatusCode and the IdP's message."""

from __future__ import annotations

import pyotp
import pytest
from lxml import etree
from saml_helpers import TOTP_SECRET, World, assert_refused, saml_form

from samlkit import authn_context as ac
from samlkit import codec, ns

pytestmark = pytest.mark.usefixtures("no_process_spawned")


def posted(page) -> etree._Element:
    return etree.fromstring(codec.decode_post(saml_form(page.get_data(as_text=True)).fields["SAMLResponse"]))


def status_message(w: World) -> str:
    return w.verdicts()[-1].message


def sign_in_once(w: World, user: str = "alice"):
    """A browser with an IdP session (an IdP-initiated login first)."""
    b = w.browser()
    assert b.idp_initiated(user).status_code == 303
    b.sp.get("/fo/logout.php")
    return b


def test_is_passive_without_an_idp_session_is_refused_as_no_passive(new_world) -> None:
    w: World = new_world(sub={"request_passive": True})
    b = w.browser()
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    assert 'name="password"' not in page.get_data(as_text=True)  # no login form
    root = posted(page)
    codes = [c.get("Value") for c in root.iter(ns.q(ns.SAMLP, "StatusCode"))]
    assert codes == [ns.STATUS_RESPONDER, "urn:oasis:names:tc:SAML:2.0:status:NoPassive"]
    assert_refused(b.deliver(page), "status-not-success")
    assert "NoPassive" in status_message(w) and "no session at the IdP" in status_message(w)


def test_is_passive_with_an_idp_session_logs_in_without_a_form(new_world) -> None:
    w: World = new_world(sub={"request_passive": True})
    b = sign_in_once(w)
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    assert "SAMLResponse" in page.get_data(as_text=True)
    assert b.deliver(page).status_code == 303 and b.whoami()[1]["login"] == "alice"


def test_force_authn_asks_for_credentials_despite_the_session(new_world) -> None:
    w: World = new_world(sub={"request_force_authn": True})
    b = sign_in_once(w)
    _, r = b.start()
    page = b.idp_get(r.headers["Location"])
    assert 'name="password"' in page.get_data(as_text=True)
    assert b.deliver(b.sign_in(page, "alice", "alice-pw")).status_code == 303


def test_an_unsupported_nameid_format_is_invalid_nameid_policy(new_world) -> None:
    w: World = new_world(sub={"request_nameid_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"})
    assert_refused(w.browser().login("alice"), "status-not-success")
    assert "InvalidNameIDPolicy" in status_message(w) and "kerberos" in status_message(w)


def test_a_supported_nameid_format_is_honoured(new_world) -> None:
    w: World = new_world(sub={"request_nameid_format": "emailAddress"})
    b = w.browser()
    _, r = b.start()
    root = posted(b.sign_in(b.idp_get(r.headers["Location"]), "alice", "alice-pw"))
    name_id = root.find(f".//{ns.q(ns.SAML, 'NameID')}")
    assert (name_id.get("Format"), name_id.text) == (ns.NAMEID_FORMATS["emailAddress"], "alice@corp.test")


def test_allow_create_false_needs_an_identifier_issued_before(new_world) -> None:
    w: World = new_world(sub={"request_nameid_format": "persistent", "request_allow_create": False})
    assert_refused(w.browser().login("alice"), "status-not-success")
    assert "AllowCreate is false" in status_message(w)
    w.sp_config.subscriptions[0].request_allow_create = True
    assert w.browser().login("alice").status_code == 303  # created now
    w.sp_config.subscriptions[0].request_allow_create = False
    assert w.browser().login("alice").status_code == 303  # it exists: no creation needed


@pytest.mark.parametrize(
    ("classes", "comparison", "user", "stated"),
    [
        (["mfa"], "exact", "tina", ac.REFEDS_MFA),
        (["totp"], "exact", "tina", ac.TIME_SYNC_TOKEN),
        (["ppt"], "minimum", "alice", ac.PASSWORD_PROTECTED),
        (["ppt"], "minimum", "tina", ac.TIME_SYNC_TOKEN),
        (["ppt"], "better", "tina", ac.TIME_SYNC_TOKEN),
        (["ppt"], "maximum", "tina", ac.PASSWORD_PROTECTED),
    ],
)
def test_requested_authn_context_met(new_world, classes, comparison, user, stated) -> None:
    w: World = new_world(sub={"request_authn_context": classes, "request_authn_comparison": comparison})
    b = w.browser()
    _, r = b.start()
    code = pyotp.TOTP(TOTP_SECRET).now() if user == "tina" else None
    page = b.sign_in(b.idp_get(r.headers["Location"]), user, f"{user}-pw", code)
    ctx = posted(page).find(f".//{ns.q(ns.SAML, 'AuthnContextClassRef')}")
    assert ctx.text == stated
    assert b.deliver(page).status_code == 303


@pytest.mark.parametrize(("classes", "comparison"), [(["mfa"], "exact"), (["ppt"], "better"), (["totp"], "minimum")])
def test_requested_authn_context_unmet_is_no_authn_context(new_world, classes, comparison) -> None:
    w: World = new_world(sub={"request_authn_context": classes, "request_authn_comparison": comparison})
    b = w.browser()
    assert_refused(b.login("alice"), "status-not-success")
    assert "NoAuthnContext" in status_message(w) and "signed in with a password" in status_message(w)
    # The user did authenticate: the IdP session stands, so a plain request now needs no form.
    w.sp_config.subscriptions[0].request_authn_context = []
    _, r = b.start()
    assert "SAMLResponse" in b.idp_get(r.headers["Location"]).get_data(as_text=True)


def test_the_idps_status_message_is_shown_as_plain_text(world: World) -> None:
    from mock_idp.status_response import error_response

    value = error_response(
        idp_entity_id=world.idp_config.entity_id,
        sp=world.idp_sp,
        in_response_to=None,
        top=ns.STATUS_REQUESTER,
        sub_status="urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
        message="<script>alert(1)</script>",
        key_pem=world.idp_config.key_pem,
        cert_pem=world.idp_config.cert_pem,
    )
    r = world.browser().post_acs(value)
    assert_refused(r, "status-not-success")
    page = r.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "status:Requester" in page and "status:RequestDenied" in page
