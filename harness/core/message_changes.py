"""What an attacker changed, in plain words ("the Assertion's ds:Signature was removed"): the bad
message's tree compared with the legitimate one's, elements matched by name and ID, in order."""

from __future__ import annotations

import difflib

from lxml import etree

from harness.core.message_render import is_element, parse_leniently, syntax_error

MAX_CHANGES = 40
SHORT_VALUE = 48  # longer values are named, not quoted

_DS = "http://www.w3.org/2000/09/xmldsig#"
_DS_SIGNATURE = f"{{{_DS}}}Signature"
_SIGNATURE_VALUES = {f"{{{_DS}}}DigestValue", f"{{{_DS}}}SignatureValue"}
_ID_ATTRS = ("ID", "Id", "AssertionID")


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
        return [f"the message is not well-formed XML ({syntax_error(err)})"]
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
    if not is_element(old):
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
            ident = _key(b)[1] if is_element(b) else None
            reused = ident is not None and any(_key(a) == _key(b) for a in old.iter())
            extra = f", reusing the ID {_quote(ident)} of the legitimate one" if reused else ""
            place = f"inside {inside}" if inside else f"to the {_local(new)}"
            main.append(f"{_article(what)}{what} was added {place}{extra}")
