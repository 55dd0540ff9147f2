"""A SAML message shown for reading and diffing: pretty-printed by `harness.core.decode.pretty_xml`;
one the safe parser refuses (a DOCTYPE, entities) from a parse that never expands entities nor
loads anything, its DOCTYPE shown as written; one not even well-formed as sent, split at its tags.
"""

from __future__ import annotations

import re

from lxml import etree

from harness.core.decode import DecodeFailure, pretty_xml

MAX_XML_BYTES = 1024 * 1024  # larger messages are not diffed (the battery keeps them only up to 256 KB)

PRETTY, AS_SENT = "pretty", "as sent"


def as_bytes(xml: str | bytes) -> bytes:
    return xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)


def _lenient_parser() -> etree.XMLParser:
    """For display only: keeps DOCTYPEs, entity references and comments as written, expands and fetches nothing."""
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_blank_text=False
    )


def parse_leniently(xml: str | bytes) -> etree._Element:
    """The message's tree without ever expanding an entity or loading a DTD; raises etree.XMLSyntaxError."""
    data = as_bytes(xml)
    if len(data) > MAX_XML_BYTES:
        raise etree.XMLSyntaxError(f"over {MAX_XML_BYTES} bytes", None, 0, 0, "")  # type: ignore[call-arg]
    return etree.fromstring(data, _lenient_parser())


_DOCTYPE = re.compile(r"<!DOCTYPE\b[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL)


def render(xml: str | bytes) -> tuple[str, str, str]:
    """(the message for display, how: PRETTY or AS_SENT, a note when it was not read the usual way).

    PRETTY is indented by `harness.core.decode.pretty_xml`, or, for a message that safe parser
    refuses (a DOCTYPE, entities), from a parse that expands and loads nothing, with the DOCTYPE
    shown as written. AS_SENT is the text as sent, one tag a line: it is not well-formed XML.
    """
    data = as_bytes(xml)
    if len(data) > MAX_XML_BYTES:
        return split_at_tags(data), AS_SENT, f"it is over {MAX_XML_BYTES // 1024} KB: shown as sent"
    try:
        return pretty_xml(data), PRETTY, ""
    except DecodeFailure:
        pass
    try:
        root = parse_leniently(data)
    except etree.XMLSyntaxError as err:
        return split_at_tags(data), AS_SENT, f"it is not well-formed XML ({syntax_error(err)}): shown as sent"
    _indent_keeping_inline(root)
    body = etree.tostring(root, encoding="unicode")
    found = _DOCTYPE.search(data.decode("utf-8", "replace"))
    if found is None:
        return body, PRETTY, ""
    doctype = re.sub(r"\[\s*<!", "[\n  <!", re.sub(r">\s*<!", ">\n  <!", found.group(0)))
    doctype = re.sub(r"\s*\]\s*>$", "\n]>", doctype) if "[" in doctype else doctype
    return f"{doctype}\n{body}", PRETTY, "it has a DOCTYPE (shown as written, never expanded)"


def _indent_keeping_inline(root: etree._Element) -> None:
    """Indent, but leave an element whose content is text with entity references, comments or
    processing instructions (and no child element) on one line, as written."""
    inline = [
        (el, el.text, [c.tail for c in el])
        for el in root.iter(etree.Element)
        if len(el) and all(not is_element(c) for c in el)
    ]
    etree.indent(root, space="  ")
    for el, text, tails in inline:
        el.text = text
        for c, tail in zip(el, tails, strict=True):
            c.tail = tail


def split_at_tags(data: bytes) -> str:
    return re.sub(r">\s*<", ">\n<", data.decode("utf-8", "replace").strip())


def syntax_error(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return re.sub(r"\s*\(<string>, line \d+\)$", "", text)


def is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str)
