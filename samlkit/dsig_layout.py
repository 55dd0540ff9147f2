"""The element children libxmlsec1 reads in a Signature, its SignedInfo and a Reference, in order.

libxmlsec1 (xmlSecDSigCtxProcessSignatureNode and the SignedInfo and Reference readers) takes a
Signature's children as SignedInfo, SignatureValue, an optional KeyInfo, then Objects, and fails
on anything else. samlkit.xmldsig checks the common form of signature itself and finds SignedInfo
and SignatureValue by name, so it holds every Signature to the same order first: else a Signature
with its SignatureValue first, a second KeyInfo or a foreign element between its children would
pass there and fail in libxmlsec1.
"""

from __future__ import annotations

import re

from lxml import etree

from samlkit import ns

# Per element: its leading children, the one child that may then repeat, how many of it at
# least, and the layout as a refusal names it. The repeats are counted in C: a forged Signature
# may hold 300,000 Objects (a Python walk over them cost 171 ms, the counts 23 ms).
_LAYOUTS = {
    "Signature": (
        r"SignedInfo SignatureValue( KeyInfo)?",
        "Object",
        0,
        "SignedInfo, SignatureValue, KeyInfo?, Object*",
    ),
    "SignedInfo": (
        r"CanonicalizationMethod SignatureMethod",
        "Reference",
        1,
        "CanonicalizationMethod, SignatureMethod, Reference+",
    ),
    "Reference": (r"(Transforms )?DigestMethod DigestValue", None, 0, "Transforms?, DigestMethod, DigestValue"),
}
_DS = "{" + ns.DS + "}"
_COUNT_CHILDREN = etree.XPath("count(*)")
_COUNT_DS = {name: etree.XPath(f"count(ds:{name})", namespaces={"ds": ns.DS}) for name in ("Object", "Reference")}


# The layouts every SAML signer writes, told at a glance (three calls cost ~25 us per signature
# through the general rule below).
_COMMON: dict[str, set[tuple[str, ...]]] = {
    "Signature": {
        (_DS + "SignedInfo", _DS + "SignatureValue"),
        (_DS + "SignedInfo", _DS + "SignatureValue", _DS + "KeyInfo"),
    },
    "SignedInfo": {(_DS + "CanonicalizationMethod", _DS + "SignatureMethod", _DS + "Reference")},
    "Reference": {(_DS + "Transforms", _DS + "DigestMethod", _DS + "DigestValue")},
}


def misordered(node: etree._Element) -> str | None:
    """None when the ds:Signature, ds:SignedInfo or ds:Reference `node` holds its XML-DSig element
    children in order and nothing else; else the layout it should have."""
    local = etree.QName(node).localname
    if len(node) <= 8 and tuple(c.tag for c in node if isinstance(c.tag, str)) in _COMMON[local]:
        return None
    leading, repeated, at_least, layout = _LAYOUTS[local]
    names: list[str] = []
    for child in node.iterchildren("{*}*"):  # elements only: comments and text are not read
        local = child.tag[len(_DS) :] if child.tag.startswith(_DS) else "?"
        if local == repeated or len(names) == 3:
            break
        names.append(local)
    rest = int(_COUNT_CHILDREN(node)) - len(names)
    in_order = (
        re.fullmatch(leading, " ".join(names)) is not None
        and rest >= at_least
        and (rest == 0 or (repeated is not None and int(_COUNT_DS[repeated](node)) == rest))
    )
    return None if in_order else layout
