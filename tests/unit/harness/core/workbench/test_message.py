"""Opening a message: files, any form decode reads, trace steps; hostile input refused in words."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from harness.core.trace import Message, Step, Trace
from harness.core.workbench.message import OpenMessage, WorkbenchError, from_step, from_text, load, parse_xml

RESPONSE = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" '
    'IssueInstant="2026-01-01T00:00:00Z"/>'
)


def test_opens_base64_and_url_encoded_forms_as_the_same_xml() -> None:
    b64 = base64.b64encode(RESPONSE.encode()).decode()
    for text in (RESPONSE, b64, f"SAMLResponse={quote_plus(b64)}&RelayState=%2Fhome"):
        m = from_text(text)
        assert m.xml == RESPONSE
        assert m.kind == "Response" and m.param == "SAMLResponse" and not m.is_request
    assert from_text(f"SAMLResponse={quote_plus(b64)}&RelayState=%2Fhome").relay_state == "/home"


def test_a_trace_step_opens_from_the_raw_parameter_not_the_pretty_xml(tmp_path: Path, signed: OpenMessage) -> None:
    raw = base64.b64encode(signed.xml.encode()).decode()
    step = Step(
        index=3,
        time=0,
        src="browser",
        dst="sp",
        label="POST /acs",
        message=Message(param="SAMLResponse", binding="HTTP-POST", raw=raw, xml="<pretty/>", relay_state="/x"),
    )
    opened = from_step(step)
    assert opened.xml == signed.xml
    assert opened.relay_state == "/x"
    trace = Trace(steps=[Step(index=1, time=0, src="browser", dst="sp"), step])
    path = tmp_path / "run.json"
    path.write_text(trace.to_json())
    assert load(str(path)).xml == signed.xml  # the Response posted to the SP is the default step
    assert load(f"{path}:3").xml == signed.xml
    with pytest.raises(WorkbenchError, match="no step 7"):
        load(f"{path}:7")
    with pytest.raises(WorkbenchError, match="carries no SAML message"):
        load(f"{path}:1")


def test_an_imported_step_with_only_pretty_xml_still_opens_and_says_signatures_will_break() -> None:
    step = Step(index=1, time=0, src="browser", dst="sp", message=Message(xml=RESPONSE))
    assert "signatures will not verify" in from_step(step).origin


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>', "DOCTYPE"),
        ("<a>" * 200 + "</a>" * 200, "deeper than"),
        ("<r>\x01</r>", "not well-formed"),
        ("<r>" + "x" * (5 * 1024 * 1024) + "</r>", "over the limit"),
        ("<r>\ud800</r>", "not valid Unicode"),
        ("<r><unclosed></r>", "not well-formed"),
    ],
)
def test_hostile_editor_text_is_refused_with_a_clear_error(text: str, words: str) -> None:
    with pytest.raises(WorkbenchError, match=words):
        parse_xml(text)


def test_a_file_that_is_not_utf8_or_not_there_is_refused_in_words(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<r>\xff\xfe\xfa</r>")
    with pytest.raises(WorkbenchError):
        load(str(bad))
    with pytest.raises(WorkbenchError, match="no such file"):
        load(str(tmp_path / "missing.xml"))
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(WorkbenchError, match="not a trace"):
        load(str(junk))


def test_kind_reads_past_the_declaration_and_comments() -> None:
    m = OpenMessage(xml='<?xml version="1.0"?><!-- c --><samlp:AuthnRequest xmlns:samlp="x" ID="a"/>')
    assert m.kind == "AuthnRequest" and m.is_request and m.param == "SAMLRequest"


def test_validation_says_where_the_xml_breaks() -> None:
    from harness.core.workbench.validate import check

    assert check(RESPONSE) is None
    p = check("<r>\n  <a>\n</r>")
    assert p is not None and p.line == 3 and "not well-formed" in p.message
    p = check('<?xml version="1.0"?>\n<!DOCTYPE r>\n<r/>')
    assert p is not None and p.line == 2 and "DOCTYPE" in p.message
