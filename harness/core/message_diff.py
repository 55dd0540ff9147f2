"""What an attacker changed: a unified diff of a bad SAML message against the legitimate one, and
the same change in plain words ("the Assertion's ds:Signature was removed").

Both messages are pretty-printed the same way first (`harness.core.decode.pretty_xml`); a message
the safe parser refuses (a DOCTYPE, entities) is shown from a parse that never expands entities nor
loads anything, and one that is not even well-formed is shown as sent, split at its tags. No Qt
here: the battery view and `saml-harness battery --diff` both use it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from lxml import etree

from harness.core.decode import DecodeFailure, pretty_xml

MAX_XML_BYTES = 1024 * 1024  # larger messages are not diffed (the battery keeps them only up to 256 KB)
MAX_CHANGES_IN_SUMMARY = 3
MAX_CHANGES = 40
SHORT_VALUE = 48  # longer values are named, not quoted

ADDED, REMOVED, CONTEXT, HUNK, HEADER = "+", "-", " ", "@@", "header"

_DS = "http://www.w3.org/2000/09/xmldsig#"
_DS_SIGNATURE = f"{{{_DS}}}Signature"
_SIGNATURE_VALUES = {f"{{{_DS}}}DigestValue", f"{{{_DS}}}SignatureValue"}
_ID_ATTRS = ("ID", "Id", "AssertionID")


@dataclass
class DiffLine:
    kind: str  # "+" | "-" | " " | "@@" | "header"
    text: str  # the whole line, marker included


@dataclass
class MessageDiff:
    lines: list[DiffLine] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)  # plain words, most telling first
    notes: list[str] = field(default_factory=list)  # how the messages were read, when not plainly

    @property
    def identical(self) -> bool:
        return not self.added and not self.removed

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def summary(self) -> str:
        """One line: how many lines changed and what, e.g. "21 lines removed, 1 added: …"."""
        if self.identical:
            return (
                "No change: the message reads exactly as the legitimate one (the attack, if any, is in how or "
                "when it is sent)."
            )
        head = f"{_n(self.removed, 'line')} removed, {self.added} added"
        if not self.changes:
            return head + "."
        shown = self.changes[:MAX_CHANGES_IN_SUMMARY]
        more = len(self.changes) - len(shown)
        return head + ": " + "; ".join(shown) + (f"; and {_n(more, 'more change')}" if more else "") + "."

    def to_dict(self) -> dict:
        return {
            "summary": self.summary,
            "added": self.added,
            "removed": self.removed,
            "changes": self.changes,
            "notes": self.notes,
            "unified": self.text,
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- reading and pretty-printing ------------------------------------------------------------------

PRETTY, AS_SENT = "pretty", "as sent"


def _as_bytes(xml: str | bytes) -> bytes:
    return xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)


def _lenient_parser() -> etree.XMLParser:
    """For display only: keeps DOCTYPEs, entity references and comments as written, expands and fetches nothing."""
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_blank_text=False
    )


def parse_leniently(xml: str | bytes) -> etree._Element:
    """The message's tree without ever expanding an entity or loading a DTD; raises etree.XMLSyntaxError."""
    data = _as_bytes(xml)
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
    data = _as_bytes(xml)
    if len(data) > MAX_XML_BYTES:
        return _split_at_tags(data), AS_SENT, f"it is over {MAX_XML_BYTES // 1024} KB: shown as sent"
    try:
        return pretty_xml(data), PRETTY, ""
    except DecodeFailure:
        pass
    try:
        root = parse_leniently(data)
    except etree.XMLSyntaxError as err:
        return _split_at_tags(data), AS_SENT, f"it is not well-formed XML ({_syntax_error(err)}): shown as sent"
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
        if len(el) and all(not _is_element(c) for c in el)
    ]
    etree.indent(root, space="  ")
    for el, text, tails in inline:
        el.text = text
        for c, tail in zip(el, tails, strict=True):
            c.tail = tail


def _split_at_tags(data: bytes) -> str:
    return re.sub(r">\s*<", ">\n<", data.decode("utf-8", "replace").strip())


def _syntax_error(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return re.sub(r"\s*\(<string>, line \d+\)$", "", text)


# -- the diff ---------------------------------------------------------------------------------------


def diff_messages(
    legitimate: str | bytes,
    bad: str | bytes,
    *,
    context: int = 3,
    names: tuple[str, str] = ("legitimate", "bad"),
) -> MessageDiff:
    """A unified diff of `bad` against `legitimate` and what changed in words.

    Both are pretty-printed the same way; when either cannot be (it is not well-formed), both are
    shown as sent, one tag a line, so that the diff still lines up.
    """
    (old, old_how, old_note), (new, new_how, new_note) = render(legitimate), render(bad)
    if AS_SENT in (old_how, new_how):
        if old_how != AS_SENT:
            old = _split_at_tags(_as_bytes(legitimate))
        if new_how != AS_SENT:
            new = _split_at_tags(_as_bytes(bad))
    out = MessageDiff()
    for name, note in zip(names, (old_note, new_note), strict=True):
        if note:
            out.notes.append(f"the {name} message: {note}")
    unified = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=names[0], tofile=names[1], n=context, lineterm=""
    )
    for i, line in enumerate(unified):
        if i < 2:  # --- and +++
            out.lines.append(DiffLine(HEADER, line))
        elif line.startswith("@@"):
            out.lines.append(DiffLine(HUNK, line))
        elif line.startswith("+"):
            out.lines.append(DiffLine(ADDED, line))
            out.added += 1
        elif line.startswith("-"):
            out.lines.append(DiffLine(REMOVED, line))
            out.removed += 1
        else:
            out.lines.append(DiffLine(CONTEXT, line))
    if not out.identical:
        out.changes = describe_changes(legitimate, bad)
    return out


# -- the same change in words ------------------------------------------------------------------


def describe_changes(legitimate: str | bytes, bad: str | bytes) -> list[str]:
    """What differs between the two messages, as a tester would say it; most telling first.

    Elements are matched by name and ID, in order, so an inserted element reads as added, not as
    everything after it changed. Changed digests and signature values come last: they follow
    from the other changes more often than not.
    """
    try:
        old = parse_leniently(legitimate)
    except etree.XMLSyntaxError:
        return []
    try:
        new = parse_leniently(bad)
    except etree.XMLSyntaxError as err:
        return [f"the message is not well-formed XML ({_syntax_error(err)})"]
    main: list[str] = []
    values: dict[str, list[str]] = {}  # "the Response's signature" -> ["DigestValue", ...]
    old_doc, new_doc = old.getroottree().docinfo, new.getroottree().docinfo
    if new_doc.doctype and not old_doc.doctype:
        dtd = new_doc.internalDTD
        entities = [_entity(e) for e in dtd.iterentities()] if dtd is not None else []
        main.append("a DOCTYPE was added" + (f", declaring {', '.join(entities)}" if entities else ""))
    if old.tag != new.tag:
        ns_old, ns_new = etree.QName(old).namespace, etree.QName(new).namespace
        if _local(old) == _local(new):
            main.append(f"the {_local(new)} is in the namespace {ns_new or '(none)'}, not {ns_old or '(none)'}")
        else:
            main.append(f"the message is {_article(_name(new))}{_name(new)}, not {_article(_name(old))}{_name(old)}")
    else:
        _compare(old, new, main, values)
    for where, names in values.items():
        main.append(f"{where} has {_join_values(names)}")
    out: list[str] = []
    for c in main:
        if c not in out:
            out.append(c)
    return out[:MAX_CHANGES]


def _entity(decl: etree._DTDEntityDecl) -> str:
    if decl.system_url:
        return f"{decl.name} (SYSTEM {_quote(decl.system_url)})"
    return f"{decl.name} ({_quote(decl.content or '')})"


def _join_values(names: list[str]) -> str:
    """["a different DigestValue", "a different SignatureValue"] -> "a different DigestValue and SignatureValue"."""
    if len(names) == 2 and names[0].split()[:-1] == names[1].split()[:-1]:
        return f"{names[0]} and {names[1].split()[-1]}"
    return " and ".join(names)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _name(node: etree._Element) -> str:
    """ds:Signature, saml:Assertion … (as written), a comment, an entity reference."""
    if isinstance(node, etree._Comment):
        return "comment"
    if isinstance(node, etree._Entity):
        return f"entity reference &{node.name};"
    if isinstance(node, etree._ProcessingInstruction):
        return f"processing instruction <?{node.target}?>"
    return f"{node.prefix}:{_local(node)}" if node.prefix else _local(node)


def _possessive(word: str) -> str:
    return f"{word}'" if word.endswith("s") else f"{word}'s"


def _article(text: str) -> str:
    return "an " if text[:1].lower() in "aeiou" else "a "


def _quote(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return "nothing"
    return f"“{value}”" if len(value) <= SHORT_VALUE else f"“{value[: SHORT_VALUE - 1]}…”"


def _is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str)


def _key(node: etree._Element) -> tuple:
    if isinstance(node, etree._Comment):
        return ("#comment",)
    if isinstance(node, etree._Entity):
        return ("#entity", node.name)
    if isinstance(node, etree._ProcessingInstruction):
        return ("#pi", node.target)
    return (node.tag, next((node.get(a) for a in _ID_ATTRS if node.get(a) is not None), None))


def _own_text(el: etree._Element) -> str:
    """The element's own character data (its text, entity references, its children's tails), whitespace folded."""
    parts = [el.text or ""]
    for c in el:
        parts.append((f"&{c.name};" if isinstance(c, etree._Entity) else "") + (c.tail or ""))
    return " ".join("".join(parts).split())


def _signature(el: etree._Element) -> etree._Element | None:
    """The ds:Signature `el` is (or is inside), if any."""
    node = el
    while node is not None and node.tag != _DS_SIGNATURE:
        node = node.getparent()
    return node


def _signature_label(sig: etree._Element) -> str:
    owner = sig.getparent()
    return f"the {_possessive(_local(owner))} signature" if owner is not None else "a detached signature"


def _child_keys(a_kids: list[etree._Element], b_kids: list[etree._Element]) -> tuple[list[tuple], list[tuple]]:
    """Keys to align two lists of children by. When the bad message has more children with one key
    than the legitimate one (a copy of a signed Assertion with its ID), the copies most like the
    legitimate ones keep the key and the others read as added."""
    ka, kb = [_key(c) for c in a_kids], [_key(c) for c in b_kids]
    for k in {k for k in kb if k[0] not in ("#comment", "#entity", "#pi")}:
        olds = [a for a, key in zip(a_kids, ka, strict=True) if key == k]
        news = [i for i, key in enumerate(kb) if key == k]
        if not olds or len(news) <= len(olds):
            continue
        old_text = [etree.tostring(a) for a in olds]

        def likeness(i: int, old_text: list[bytes] = old_text) -> float:
            text = etree.tostring(b_kids[i])
            if text in old_text:
                return 2.0
            return max(difflib.SequenceMatcher(None, o[:20_000], text[:20_000]).ratio() for o in old_text)

        keep = set(sorted(news, key=likeness, reverse=True)[: len(olds)])
        for i in news:
            if i not in keep:
                kb[i] = ("#copy", *k)
    return ka, kb


def _compare(old: etree._Element, new: etree._Element, main: list[str], values: dict[str, list[str]]) -> None:
    if not _is_element(old):
        if isinstance(old, etree._Comment) and (old.text or "") != (new.text or ""):
            main.append(f"a comment in the {_local(new.getparent())} changed")
        return
    sig = _signature(new)
    where = f"in {_signature_label(sig)}, " if sig is not None and sig is not new else ""
    for attr in [*old.attrib, *(a for a in new.attrib if a not in old.attrib)]:
        a, b = old.get(attr), new.get(attr)
        if a == b:
            continue
        label = f"{where}the {_possessive(_local(new))} {etree.QName(attr).localname}"
        if b is None:
            main.append(f"{label} was removed")
        elif a is None:
            main.append(f"{label} was added ({_quote(b)})")
        else:
            main.append(f"{label} changed from {_quote(a)} to {_quote(b)}")
    a_text, b_text = _own_text(old), _own_text(new)
    if a_text != b_text:
        if new.tag in _SIGNATURE_VALUES and sig is not None:
            what = f"a different {_local(new)}" if b_text else f"an empty {_local(new)}"
            values.setdefault(_signature_label(sig), []).append(what)
        elif len(a_text) > SHORT_VALUE or len(b_text) > SHORT_VALUE:
            main.append(f"{where}the {_possessive(_name(new))} content changed")
        else:
            main.append(f"{where}the {_local(new)} changed from {_quote(a_text)} to {_quote(b_text)}")
    a_kids, b_kids = list(old), list(new)
    matcher = difflib.SequenceMatcher(None, *_child_keys(a_kids, b_kids), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = list(zip(a_kids[i1:i2], b_kids[j1:j2], strict=False))
        if op == "equal" or (
            op == "replace" and i2 - i1 == j2 - j1 and all(_key(a)[0] == _key(b)[0] for a, b in pairs)
        ):
            for a, b in pairs:
                _compare(a, b, main, values)
            continue
        inside = f"{_signature_label(sig)}" if sig is not None else ""
        for a in a_kids[i1:i2]:
            if isinstance(a, etree._Entity):
                continue  # said with the text it sits in
            if inside:
                main.append(f"the {_name(a)} was removed from {inside}")
            else:
                main.append(f"the {_possessive(_local(old))} {_name(a)} was removed")
        for b in b_kids[j1:j2]:
            if isinstance(b, etree._Entity):
                continue
            what = _name(b)
            ident = _key(b)[1] if _is_element(b) else None
            reused = ident is not None and any(_key(a) == _key(b) for a in old.iter())
            extra = f", reusing the ID {_quote(ident)} of the legitimate one" if reused else ""
            place = f"inside {inside}" if inside else f"to the {_local(new)}"
            main.append(f"{_article(what)}{what} was added {place}{extra}")
