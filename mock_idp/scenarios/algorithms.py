"""Algorithms: SHA-1 and other weak or confusable signature algorithms.

Rule: SHA-1 is refused for signatures and digests, and only the asymmetric algorithms of the
trusted certificate are accepted: never an HMAC keyed with the (public) certificate, never
MD5 (docs/ARCHITECTURE.md, security baseline). The SHA-1 messages are genuinely signed by the IdP.
"""

from __future__ import annotations

from functools import partial

import xmlsec

from mock_idp.scenarios.base import Context, Message, q, scenario, set_name_id, signature_of
from samlkit import ns

_s = partial(scenario, family="algorithms")
_RSA_MD5 = "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"


@_s("sha1-signature", rule="RSA-SHA1 signatures and SHA-1 digests are refused.", expect={"weak-algorithm"})
def sha1(ctx: Context) -> Message:
    """Response and Assertion signed by the IdP with rsa-sha1 over sha1 digests."""
    resp, assertion = ctx.build()
    ctx.sign(resp, assertion, "both", hash_name="sha1")
    return ctx.message(resp)


@_s("sha1-digest", rule="A SHA-1 digest is refused even under an RSA-SHA256 signature.", expect={"weak-algorithm"})
def sha1_digest(ctx: Context) -> Message:
    """Signed with rsa-sha256, but each Reference digested with sha1."""
    resp, assertion = ctx.build()
    ctx.sign(resp, assertion, "both", hash_name="sha256", digest="sha1")
    return ctx.message(resp)


@_s(
    "sha1-assertion-only",
    rule="Every signature that counts must be strong: a SHA-1 Assertion signature under a SHA-256 Response one.",
    expect={"weak-algorithm"},
)
def sha1_assertion(ctx: Context) -> Message:
    """The Assertion signed with rsa-sha1, the Response with rsa-sha256."""
    resp, assertion = ctx.build()
    ctx.sign(resp, assertion, "assertion", hash_name="sha1")
    ctx.sign(resp, assertion, "response", hash_name="sha256")
    return ctx.message(resp)


@_s(
    "hmac-key-confusion",
    rule="A symmetric HMAC keyed with the public certificate proves nothing: only the certificate's key algorithm.",
    expect={"algorithm-unsupported", "signature-invalid"},
)
def hmac(ctx: Context) -> Message:
    """Signed with HMAC-SHA256 whose secret is the IdP's public certificate, naming the victim."""
    resp, assertion = ctx.build()
    set_name_id(assertion, ctx.victim_name_id)
    for el in (assertion, resp):
        sig = xmlsec.template.create(el, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.HMAC_SHA256, ns="ds")
        el.find(q("Issuer")).addnext(sig)
        ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri="#" + el.get("ID"))
        xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        sc = xmlsec.SignatureContext()
        sc.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, ctx.idp_cert_pem)
        sc.register_id(el, "ID")
        sc.sign(sig)
    return ctx.message(resp)


@_s(
    "md5-signature",
    rule="RSA-MD5 is not an accepted signature algorithm.",
    expect={"algorithm-unsupported", "weak-algorithm", "signature-invalid"},
)
def md5(ctx: Context) -> Message:
    """Both SignatureMethods relabelled rsa-md5 (the value is left as the IdP computed it)."""
    resp, assertion = ctx.signed("both")
    for el in (resp, assertion):
        method = signature_of(el).findall(f"{q('SignedInfo', ns.DS)}/{q('SignatureMethod', ns.DS)}")[0]
        method.set("Algorithm", _RSA_MD5)
    return ctx.message(resp)


SCENARIOS = [sha1, sha1_digest, sha1_assertion, hmac, md5]
