"""The forms on a page as the scripted browser reads them: action, fields, the account picker.

lxml.html wraps every element in its own Python class and reads each value through a chain
of properties; the pages the browser fills (a login form, a self-posting SAML form) only hold
<input>s, whose values are plain attributes. Those are read straight from lxml.etree's tree
(the same libxml2 HTML parse); a form with a <select> or <textarea> is read by lxml.html, as
before, so every value is what lxml.html gives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

_local = threading.local()


@dataclass
class Form:
    action: str | None  # the attribute as written (None: absent)
    fields: dict[str, str]  # named inputs other than radios: what a submit sends
    logins: list[str | None] = field(default_factory=list)  # values of the radios named "login"
    after_frames: bool = False  # the page's script submits it once its frames have loaded (data-after-frames)


def _parser() -> etree.HTMLParser:
    """One HTML parser per thread (a shared one serialises parses behind its lock)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser()
    return parser


def page_forms(text: str) -> list[Form]:
    """The forms of an HTML page in document order; none if it does not parse."""
    try:
        root = etree.fromstring(text, _parser())
    except (ValueError, etree.LxmlError):
        return []
    if root is None:
        return []
    forms = []
    for form in root.iter("form"):
        inputs = list(form.iter("select", "input", "textarea"))
        if any(el.tag != "input" for el in inputs):
            return _lxml_html_forms(text)
        fields: dict[str, str] = {}
        logins: list[str | None] = []
        for el in inputs:
            name, kind = el.get("name"), el.get("type", "text").lower()
            if kind == "radio":
                if name == "login":
                    logins.append(el.get("value"))
            elif name:
                if kind == "checkbox":
                    fields[name] = (el.get("value") or "on") if "checked" in el.attrib else ""
                else:
                    fields[name] = el.get("value") or ""
        forms.append(Form(form.get("action"), fields, logins, "data-after-frames" in form.attrib))
    return forms


def page_frames(text: str) -> list[str]:
    """The src of each <iframe> of a page, in document order (a browser loads them with the page)."""
    if "<iframe" not in text:
        return []
    try:
        root = etree.fromstring(text, _parser())
    except (ValueError, etree.LxmlError):
        return []
    return [src for f in root.iter("iframe") if (src := f.get("src"))] if root is not None else []


def _lxml_html_forms(text: str) -> list[Form]:
    try:
        doc = lxml_html.fromstring(text)
    except (ValueError, etree.LxmlError):
        return []
    forms = []
    for form in doc.forms:
        inputs = list(form.inputs)
        fields = {i.name: (i.value or "") for i in inputs if i.name and getattr(i, "type", "") != "radio"}
        logins = [i.get("value") for i in inputs if getattr(i, "type", "") == "radio" and i.name == "login"]
        forms.append(Form(form.action, fields, logins, form.get("data-after-frames") is not None))
    return forms
