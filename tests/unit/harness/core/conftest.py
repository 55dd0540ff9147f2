"""Keys, certificates and SAML messages for the decoding / summary / signature-explanation tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from samlkit import ns, xmldsig

SP_ENTITY = "QualysGuard_SharedPlatformSAML20SP"
ACS = "https://sp.example/IdM/saml2/"
IDP_ENTITY = "https://idp.example/saml"


def _keypair(common_name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _sub(parent: etree._Element, namespace: str, local: str, text: str | None = None, **attrs: str):
    el = etree.SubElement(parent, ns.q(namespace, local), {k: v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


@dataclass
class SignFixtures:
    """The trusted IdP key (CN=idp-2026) and a foreign one (CN=old-idp), and message builders."""

    key_pem: bytes
    cert_pem: bytes
    other_key_pem: bytes
    other_cert_pem: bytes
    sp_entity: ClassVar[str] = SP_ENTITY
    acs: ClassVar[str] = ACS
    idp_entity: ClassVar[str] = IDP_ENTITY

    def response(
        self,
        *,
        sign_assertion: bool = True,
        sign_response: bool = False,
        assertions: int = 1,
        key_pem: bytes | None = None,
        cert_pem: bytes | None = None,
        hash_name: str = "sha256",
    ) -> etree._Element:
        key_pem = key_pem or self.key_pem
        cert_pem = cert_pem or self.cert_pem
        root = etree.Element(
            ns.q(ns.SAMLP, "Response"),
            {
                "ID": "_resp1",
                "Version": "2.0",
                "IssueInstant": "2026-01-02T03:04:05Z",
                "Destination": ACS,
                "InResponseTo": "_req1",
            },
            nsmap={"samlp": ns.SAMLP, "saml": ns.SAML, "xs": ns.XS, "xsi": ns.XSI},
        )
        _sub(root, ns.SAML, "Issuer", IDP_ENTITY)
        status = _sub(root, ns.SAMLP, "Status")
        _sub(status, ns.SAMLP, "StatusCode", Value=ns.STATUS_SUCCESS)
        for n in range(1, assertions + 1):
            a = self.assertion(root, f"_assert{n}", login=f"user{n}@example.com")
            if sign_assertion:
                xmldsig.sign(a, key_pem, cert_pem, hash_name=hash_name)
        if sign_response:
            xmldsig.sign(root, key_pem, cert_pem, hash_name=hash_name)
        return root

    def assertion(self, parent: etree._Element, ident: str, login: str) -> etree._Element:
        a = _sub(parent, ns.SAML, "Assertion", ID=ident, Version="2.0", IssueInstant="2026-01-02T03:04:05Z")
        _sub(a, ns.SAML, "Issuer", IDP_ENTITY)
        subject = _sub(a, ns.SAML, "Subject")
        _sub(subject, ns.SAML, "NameID", login, Format=ns.NAMEID_FORMATS["emailAddress"])
        conf = _sub(subject, ns.SAML, "SubjectConfirmation", Method=ns.CM_BEARER)
        _sub(
            conf,
            ns.SAML,
            "SubjectConfirmationData",
            Recipient=ACS,
            NotOnOrAfter="2026-01-02T03:09:05Z",
            InResponseTo="_req1",
        )
        cond = _sub(a, ns.SAML, "Conditions", NotBefore="2026-01-02T03:03:05Z", NotOnOrAfter="2026-01-02T03:09:05Z")
        _sub(_sub(cond, ns.SAML, "AudienceRestriction"), ns.SAML, "Audience", SP_ENTITY)
        stmt = _sub(a, ns.SAML, "AuthnStatement", AuthnInstant="2026-01-02T03:04:00Z", SessionIndex="_sess1")
        _sub(_sub(stmt, ns.SAML, "AuthnContext"), ns.SAML, "AuthnContextClassRef", ns.AC_PASSWORD_PROTECTED)
        attrs = _sub(a, ns.SAML, "AttributeStatement")
        for name, values in (("mail", [login]), ("groups", ["Scanners", "Readers"])):
            attr = _sub(attrs, ns.SAML, "Attribute", Name=name, NameFormat=ns.ATTRNAME_BASIC)
            for v in values:
                _sub(attr, ns.SAML, "AttributeValue", v, **{ns.q(ns.XSI, "type"): "xs:string"})
        return a

    def authn_request(self) -> etree._Element:
        root = etree.Element(
            ns.q(ns.SAMLP, "AuthnRequest"),
            {
                "ID": "_req1",
                "Version": "2.0",
                "IssueInstant": "2026-01-02T03:04:00Z",
                "Destination": "https://idp.example/sso",
                "AssertionConsumerServiceURL": ACS,
                "ProtocolBinding": ns.BINDING_POST,
            },
            nsmap={"samlp": ns.SAMLP, "saml": ns.SAML},
        )
        _sub(root, ns.SAML, "Issuer", SP_ENTITY)
        _sub(root, ns.SAMLP, "NameIDPolicy", Format=ns.NAMEID_FORMATS["emailAddress"], AllowCreate="true")
        return root

    def logout_request(self) -> etree._Element:
        root = etree.Element(
            ns.q(ns.SAMLP, "LogoutRequest"),
            {"ID": "_lo1", "Version": "2.0", "IssueInstant": "2026-01-02T04:00:00Z", "Destination": ACS},
            nsmap={"samlp": ns.SAMLP, "saml": ns.SAML},
        )
        _sub(root, ns.SAML, "Issuer", IDP_ENTITY)
        _sub(root, ns.SAML, "NameID", "alice@example.com", Format=ns.NAMEID_FORMATS["emailAddress"])
        _sub(root, ns.SAMLP, "SessionIndex", "_sess1")
        return root

    def logout_response(self, status: str = ns.STATUS_SUCCESS) -> etree._Element:
        root = etree.Element(
            ns.q(ns.SAMLP, "LogoutResponse"),
            {"ID": "_lr1", "Version": "2.0", "IssueInstant": "2026-01-02T04:00:01Z", "InResponseTo": "_lo1"},
            nsmap={"samlp": ns.SAMLP, "saml": ns.SAML},
        )
        _sub(root, ns.SAML, "Issuer", SP_ENTITY)
        _sub(_sub(root, ns.SAMLP, "Status"), ns.SAMLP, "StatusCode", Value=status)
        return root

    def entity_descriptor(self) -> etree._Element:
        root = etree.Element(ns.q(ns.MD, "EntityDescriptor"), {"entityID": IDP_ENTITY}, nsmap={"md": ns.MD})
        _sub(root, ns.MD, "IDPSSODescriptor", protocolSupportEnumeration=ns.SAMLP)
        return root

    def sign_custom(
        self,
        element: etree._Element,
        *,
        prefixes: list[str] | None = None,
        tail: str | None = None,
    ) -> etree._Element:
        """Sign with an InclusiveNamespaces PrefixList and/or whitespace after the Signature."""
        sig = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds")
        element.find(ns.q(ns.SAML, "Issuer")).addnext(sig)
        sig.tail = tail
        ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri="#" + element.get("ID"))
        xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        c14n = xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        if prefixes:
            xmlsec.template.transform_add_c14n_inclusive_namespaces(c14n, prefixes)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
        xmldsig.fill(sig, element, self.key_pem, self.cert_pem)
        return sig


@pytest.fixture(scope="module")
def sign_fixtures() -> SignFixtures:
    key_pem, cert_pem = _keypair("idp-2026")
    other_key_pem, other_cert_pem = _keypair("old-idp")
    return SignFixtures(key_pem, cert_pem, other_key_pem, other_cert_pem)
