"""The mock IdP checks the AuthnRequest's ACS URL / Index against the SP's registration and
answers a wrong one with an error page at the IdP: nothing goes to an ACS it cannot trust."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml_helpers import World, forms, reason, saml_form
from werkzeug.test import Client

from samlkit import codec


def sso(world: World, bend, idp: Client | None = None) -> object:
    r = Client(world.sp).get("/fo/login.php", query_string={"idm_key": world.sub.idm_key})
    root = etree.fromstring(codec.decode_redirect(parse_qs(urlsplit(r.headers["Location"]).query)["SAMLRequest"][0]))
    bend(root)
    client = idp or Client(world.idp)
    return client.get("/sso", query_string={"SAMLRequest": codec.encode_redirect(etree.tostring(root))})


def by_index(index: str):
    def bend(root: etree._Element) -> None:
        del root.attrib["AssertionConsumerServiceURL"]
        root.attrib.pop("ProtocolBinding", None)
        root.set("AssertionConsumerServiceIndex", index)

    return bend


def test_the_registered_index_is_accepted(world: World) -> None:
    r = sso(world, by_index("0"))
    assert r.status_code == 200 and any(f.action == "/login" for f in forms(r.get_data(as_text=True)))


@pytest.mark.parametrize(
    ("bend", "code"),
    [
        (by_index("7"), "acs-index-unknown"),
        (lambda root: root.set("AssertionConsumerServiceURL", "https://evil.test/acs"), "acs-mismatch"),
        (lambda root: root.set("AssertionConsumerServiceIndex", "0"), "acs-mismatch"),  # URL and index both
        (lambda root: root.set("ProtocolBinding", "urn:oasis:names:tc:SAML:2.0:bindings:PAOS"), "binding-unsupported"),
    ],
)
def test_an_acs_that_is_not_registered_gets_an_error_page_at_the_idp(world: World, bend, code: str) -> None:
    r = sso(world, bend)
    assert r.status_code == 400 and reason(r) == code
    assert "SAMLResponse" not in r.get_data(as_text=True)


def test_an_index_from_the_sps_metadata_is_registered(new_world) -> None:
    w: World = new_world(idp_sp={"acs_index": 3})
    assert reason(sso(w, by_index("0"))) == "acs-index-unknown"
    assert sso(w, by_index("3")).status_code == 200


OTHER_ACS = "http://sp.test/other-acs"


@pytest.mark.parametrize("bend", [by_index("5"), lambda root: root.set("AssertionConsumerServiceURL", OTHER_ACS)])
def test_another_registered_acs_is_answered_there(new_world, bend) -> None:
    """An SP whose metadata lists two HTTP-POST ACS endpoints may ask for either; the answer goes there."""
    other = OTHER_ACS
    w: World = new_world(idp_sp={"acs_others": {"5": other}})
    b = w.browser()
    done = b.sign_in(sso(w, bend, b.idp), "alice", "alice-pw")
    form = saml_form(done.get_data(as_text=True))
    root = etree.fromstring(codec.decode_post(form.fields["SAMLResponse"]))
    assert (form.action, root.get("Destination")) == (other, other)
