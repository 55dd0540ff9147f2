"""harness.core.browser_forms: the forms read straight from lxml.etree are what lxml.html reads
(the browser's earlier reader), for every kind of input, hostile markup and unparsable text."""

from __future__ import annotations

import pytest

from harness.core.browser_forms import Form, _lxml_html_forms, page_forms

PAGES = [
    '<form method="post" action="/login"><input type="hidden" name="csrf" value="a&amp;b&lt;"><input type="text"'
    ' name="username" value=""><input type="password" name="password"><button type="submit">Go</button></form>',
    '<html><body onload="document.forms[0].submit()"><form action="https://sp/acs" method="post">'
    '<input type="hidden" name="SAMLResponse" value="PD94+/=="/><input type="hidden" name="RelayState" value="x"/>'
    "<noscript><input type=submit value=Continue></noscript></form></body></html>",
    "<form><input type=CHECKBOX name=a checked><input type=checkbox name=b value=v checked><input type=checkbox name=c>"
    '<input type="" name=d value=1><input name=e><input value=noname><input type=Radio name=login value=x checked>'
    "<input type=radio name=login value=y><input type=radio name=other value=z><input type=radio name=login></form>"
    "<form action=''><input name=second value=2></form>",
    "<p>no form here</p>",
    "<form action=/one><input name=n value=1><form action=/nested><input name=m value=2></form></form>",
    "<form><select name=s><option value=1>one<option selected>two</select><textarea name=t> hi </textarea></form>",
    "<form><input name=x value=1></form><form><textarea name=t>text</textarea></form>",
    "<form action=/a><input name=dup value=1><input name=dup value=2></form>",
    "<<form>><input name='<script>' value='\"><img src=x>'></form",
    "",
    "   ",
    '<?xml version="1.0" encoding="utf-8"?><form><input name=a value=1></form>',
]


@pytest.mark.parametrize("text", PAGES)
def test_page_forms_reads_what_lxml_html_reads(text: str) -> None:
    assert page_forms(text) == _lxml_html_forms(text)


def test_the_login_form_and_the_account_picker() -> None:
    assert page_forms(PAGES[0]) == [Form("/login", {"csrf": "a&b<", "username": "", "password": ""})]
    picker = page_forms(PAGES[2])[0]
    assert picker.logins == ["x", "y", None] and picker.fields["a"] == "on" and picker.fields["c"] == ""
    assert page_forms(PAGES[3]) == [] and page_forms(PAGES[-1]) == []
