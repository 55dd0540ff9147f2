"""Validation as the tester types: well-formedness and the safe parser's rules, with where it fails."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from harness.core.workbench.message import WorkbenchError, parse_xml

MAX_LINE_SCAN = 4 * 1024 * 1024


@dataclass
class Problem:
    message: str
    line: int = 0  # 1-based; 0: unknown
    column: int = 0


def check(text: str) -> Problem | None:
    """None when the text would pass the SP's safe parser; else what is wrong and (when known) where."""
    try:
        parse_xml(text)
    except WorkbenchError as err:
        line, column = _where(text, str(err))
        return Problem(str(err), line, column)
    return None


def _where(text: str, message: str) -> tuple[int, int]:
    if "DOCTYPE" in message or "entity" in message:
        i = text.upper().find("<!DOCTYPE")
        if i < 0:
            i = text.find("&")
        return (text.count("\n", 0, i) + 1, 1) if i >= 0 else (0, 0)
    if "not well-formed" not in message or len(text) > MAX_LINE_SCAN:
        return 0, 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        etree.fromstring(text.encode("utf-8", "replace"), parser)
    except etree.XMLSyntaxError as err:
        return err.lineno or 0, err.offset or 0
    return 0, 0
