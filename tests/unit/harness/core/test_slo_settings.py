"""Single Logout and signed-request settings through the questionnaire, onboarding, external SP
metadata and the workspace's server configuration."""

from __future__ import annotations

from harness.core.certs import make_keypair
from harness.core.external_sp import idp_for_sp_from_metadata
from harness.core.onboarding import onboard
from harness.core.questionnaire import Questionnaire, sp_side
from samlkit.entities import make_idp_server, metadata_of
from samlkit.metadata_xml import sp_metadata


def _idp_md(slo_url: str) -> str:
    kp = make_keypair("idp.example")
    server = make_idp_server(
        entity_id="https://idp.example/saml",
        sso_url="https://idp.example/sso",
        key_pem=kp.key_pem,
        cert_pem=kp.cert_pem,
        sps=[],
        slo_url=slo_url,
    )
    return metadata_of(server)


def test_the_questionnaire_reads_the_idps_slo_url_from_its_metadata_and_keeps_it_in_toml() -> None:
    q = Questionnaire.from_metadata(_idp_md("https://idp.example/slo"), subscription="abcd_ef")
    assert q.idp_slo_url == "https://idp.example/slo"
    again = Questionnaire.loads(q.dumps())
    assert again.idp_slo_url == "https://idp.example/slo" and again == q
    assert Questionnaire.from_metadata(_idp_md(""), subscription="abcd_ef").idp_slo_url == ""


def test_a_bad_slo_url_is_a_questionnaire_error() -> None:
    q = Questionnaire.from_metadata(_idp_md(""), subscription="abcd_ef")
    q.idp_slo_url = "ftp://idp.example/slo"
    assert [p.field for p in q.errors()] == ["idp_slo_url"]
    assert "IdP SLO URL" in str(q.errors()[0])


def test_onboarding_and_the_mock_idps_answers_carry_the_slo_url(demo) -> None:
    q = Questionnaire.from_mock_idp(demo, subscription="abcd_ef", idp_base="http://127.0.0.1:9")
    assert q.idp_slo_url == "http://127.0.0.1:9/slo"
    done = onboard(demo, q, name="Acme")
    assert demo.subscription(done.subscription.idm_key).idp_slo_url == "http://127.0.0.1:9/slo"


def test_an_external_sps_metadata_sets_slo_its_certificate_and_signed_requests() -> None:
    kp = make_keypair("sp.example")
    md = sp_metadata(
        entity_id="https://sp.example",
        acs_url="https://sp.example/acs",
        cert_pem=kp.cert_pem,
        slo_url="https://sp.example/slo",
        authn_requests_signed=True,
    )
    s = idp_for_sp_from_metadata(md)
    assert (s.slo_url, s.slo_binding, s.want_authn_requests_signed) == ("https://sp.example/slo", "redirect", True)
    assert s.sp_certificate.strip() == kp.cert_pem.decode().strip()
    plain = idp_for_sp_from_metadata(sp_metadata(entity_id="https://sp.example", acs_url="https://sp.example/acs"))
    assert (plain.slo_url, plain.sp_certificate, plain.want_authn_requests_signed) == ("", "", False)


def test_the_workspace_gives_both_servers_their_slo_settings(demo) -> None:
    sp = demo.sp_config("http://sp.test", "http://idp.test")
    assert sp.key_pem and sp.cert_pem == demo.keypair("sp-signing").cert_pem
    assert sp.subscriptions[0].idp_slo_url == "http://idp.test/slo" and sp.slo_url == "http://sp.test/IdM/saml2/slo"
    idp = demo.idp_config("http://idp.test", "http://sp.test")
    (embedded,) = idp.sps
    assert embedded.slo_url == "http://sp.test/IdM/saml2/slo" and embedded.sp_cert_pem == sp.cert_pem
    assert embedded.slo_binding == "redirect" and not embedded.want_authn_requests_signed


def test_the_sp_side_given_to_the_idp_admin_names_single_logout_and_the_signing_certificate(demo) -> None:
    side = sp_side(demo, sp_base="http://sp.test", idm_key="4711")
    assert side.slo_url == "http://sp.test/IdM/saml2/slo" and "Single Logout URL" in side.text()
    s = idp_for_sp_from_metadata(side.metadata_xml)
    assert s.slo_url == side.slo_url and s.sp_certificate and not s.want_authn_requests_signed
