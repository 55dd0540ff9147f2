from lxml import etree

from harness.core.summary import summarize
from samlkit import ns

ACS = "https://sp.example/IdM/saml2/"  # as the sign_fixtures builders write them
IDP_ENTITY = "https://idp.example/saml"
SP_ENTITY = "QualysGuard_SharedPlatformSAML20SP"


def test_fixture_constants(sign_fixtures):
    assert (sign_fixtures.acs, sign_fixtures.idp_entity, sign_fixtures.sp_entity) == (ACS, IDP_ENTITY, SP_ENTITY)


def test_response_with_signed_assertion(sign_fixtures):
    s = summarize(sign_fixtures.response(sign_response=True))
    assert (s.kind, s.id, s.in_response_to, s.issuer) == ("Response", "_resp1", "_req1", IDP_ENTITY)
    assert (s.destination, s.status, s.issue_instant) == (ACS, ns.STATUS_SUCCESS, "2026-01-02T03:04:05Z")
    assert s.assertion_ids == ["_assert1"]
    assert s.assertion_issuer == IDP_ENTITY
    assert (s.name_id, s.name_id_format) == ("user1@example.com", ns.NAMEID_FORMATS["emailAddress"])
    assert (s.recipient, s.subject_confirmation_method) == (ACS, ns.CM_BEARER)
    assert s.subject_not_on_or_after == "2026-01-02T03:09:05Z"
    assert (s.not_before, s.not_on_or_after) == ("2026-01-02T03:03:05Z", "2026-01-02T03:09:05Z")
    assert s.audiences == [SP_ENTITY]
    assert (s.authn_context, s.authn_instant, s.session_index) == (
        ns.AC_PASSWORD_PROTECTED,
        "2026-01-02T03:04:00Z",
        "_sess1",
    )
    assert s.attributes == {"mail": ["user1@example.com"], "groups": ["Scanners", "Readers"]}
    assert s.signed_elements == ["Response #_resp1", "Assertion #_assert1"]


def test_response_with_several_or_no_assertions(sign_fixtures):
    s = summarize(sign_fixtures.response(assertions=3, sign_assertion=False))
    assert s.assertion_ids == ["_assert1", "_assert2", "_assert3"]
    assert s.name_id == "user1@example.com"  # filled from the first
    assert s.signed_elements == []
    s = summarize(sign_fixtures.response(assertions=0))
    assert s.assertion_ids == [] and s.name_id == "" and s.attributes == {}


def test_status_with_subcode_and_message(sign_fixtures):
    root = sign_fixtures.logout_response(status=ns.STATUS_RESPONDER)
    code = root.find(f"{{{ns.SAMLP}}}Status/{{{ns.SAMLP}}}StatusCode")
    etree.SubElement(code, f"{{{ns.SAMLP}}}StatusCode", Value=ns.STATUS_AUTHN_FAILED)
    etree.SubElement(root.find(f"{{{ns.SAMLP}}}Status"), f"{{{ns.SAMLP}}}StatusMessage").text = "bad password"
    s = summarize(root)
    assert s.kind == "LogoutResponse" and s.in_response_to == "_lo1"
    assert s.status == f"{ns.STATUS_RESPONDER} / {ns.STATUS_AUTHN_FAILED}: bad password"


def test_authn_request(sign_fixtures):
    s = summarize(sign_fixtures.authn_request())
    assert (s.kind, s.id, s.issuer) == ("AuthnRequest", "_req1", SP_ENTITY)
    assert (s.acs_url, s.protocol_binding) == (ACS, ns.BINDING_POST)
    assert s.name_id_policy == ns.NAMEID_FORMATS["emailAddress"] + " AllowCreate=true"
    assert s.destination == "https://idp.example/sso"


def test_logout_request(sign_fixtures):
    s = summarize(sign_fixtures.logout_request())
    assert (s.kind, s.id, s.issuer, s.name_id, s.session_index) == (
        "LogoutRequest",
        "_lo1",
        IDP_ENTITY,
        "alice@example.com",
        "_sess1",
    )


def test_entity_descriptor_is_kind_and_entity_id_only(sign_fixtures):
    s = summarize(sign_fixtures.entity_descriptor())
    assert (s.kind, s.issuer, s.id, s.status) == ("EntityDescriptor", IDP_ENTITY, "", "")


def test_comment_split_name_id_reads_whole(sign_fixtures):
    root = sign_fixtures.response(sign_assertion=False)
    name_id = root.find(f".//{{{ns.SAML}}}NameID")
    name_id.text = "user@example.com"
    name_id.append(etree.Comment("x"))
    name_id[0].tail = ".evil.example"
    assert summarize(root).name_id == "user@example.com.evil.example"


def test_hidden_assertion_is_listed_but_the_direct_child_is_read(sign_fixtures):
    root = sign_fixtures.response(sign_assertion=False)
    hidden_holder = etree.SubElement(root, f"{{{ns.SAMLP}}}Extensions")
    sign_fixtures.assertion(hidden_holder, "_evil", login="admin@example.com")
    s = summarize(root)
    assert s.assertion_ids == ["_assert1", "_evil"]
    assert s.name_id == "user1@example.com"


def test_unknown_root():
    s = summarize(etree.fromstring(b"<foo xmlns='urn:x' ID='1'><bar/></foo>"))
    assert s.kind == "foo" and s.id == "" and s.signed_elements == []
