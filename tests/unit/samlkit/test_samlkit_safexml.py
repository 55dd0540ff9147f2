"""samlkit.safexml: DOCTYPEs, entities, XXE, depth and size are refused before anything acts."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from samlkit import safexml
from samlkit.safexml import MAX_ATTRIBUTES, MAX_DEPTH, UnsafeXML, ids_of, parse

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol9;</samlp:Response>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&xxe;</samlp:Response>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">
<r/>"""

PARAMETER_ENTITY = b"""<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        XXE,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        b"<!doctype r><r/>",
        b"<?xml version='1.0'?>\n<!DocType r>\n<r/>",
    ],
    ids=["billion-laughs", "xxe", "external-dtd", "parameter-entity", "lowercase", "mixed-case"],
)
def test_doctypes_and_entities_are_refused(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from work_counter import xml_parses

    parses = xml_parses(monkeypatch)
    with pytest.raises(UnsafeXML) as err:
        parse(data)
    assert err.value.code == "doctype-forbidden"
    assert parses.calls["fromstring"] == 0  # refused from the bytes, before lxml parses anything


def test_doctype_in_utf16_is_refused_before_parsing() -> None:
    """The byte-level pre-check cannot see a UTF-16 DOCTYPE, so anything but UTF-8 is refused unparsed."""
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'.encode("utf-16")
    assert b"<!doctype" not in data.lower()
    with pytest.raises(UnsafeXML) as err:
        parse(data)
    assert err.value.code == "malformed-xml" and "UTF-8" in err.value.message


def test_utf7_doctype_is_never_decoded_as_utf7() -> None:
    """The declaration says UTF-7; the parser reads UTF-8 regardless, so the DOCTYPE never appears."""
    data = (
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x +AFs-+ADw-!ENTITY e SYSTEM '
        b"+ACI-file:///etc/hostname+ACI-+AD4-+AF0-+AD4-+ADw-x+AD4-+ACY-e+ADs-+ADw-/x+AD4-"
    )
    with pytest.raises(UnsafeXML) as err:
        parse(data)
    assert err.value.code == "malformed-xml"


def test_declared_latin1_is_read_as_utf8() -> None:
    assert parse('<?xml version="1.0" encoding="ISO-8859-1"?><x>é</x>'.encode()).text == "é"


def test_xxe_never_reads_the_file() -> None:
    with pytest.raises(UnsafeXML) as err:
        parse(XXE)
    assert "root:" not in str(err.value)


def test_plain_saml_parses_with_comments_kept_and_pis_dropped() -> None:
    root = parse(b"<r><?pi data?><n>al<!-- c -->ice</n>&amp;</r>")
    assert root.tag == "r"
    assert root.find("n").xpath("string()") == "alice"
    assert not [n for n in root.iter() if isinstance(n, etree._ProcessingInstruction)]
    assert [n for n in root.iter() if isinstance(n, etree._Comment)]


@pytest.mark.parametrize("data", [b"", b"<r>", b"not xml", b"<a></b>", b"\x00\x01"])
def test_malformed_xml(data: bytes) -> None:
    with pytest.raises(UnsafeXML) as err:
        parse(data)
    assert err.value.code == "malformed-xml"


def test_depth_limit() -> None:
    def nested(n: int) -> bytes:
        return b"<a>" * n + b"</a>" * n

    assert parse(nested(MAX_DEPTH)) is not None
    with pytest.raises(UnsafeXML) as err:
        parse(nested(MAX_DEPTH + 1))
    assert err.value.code == "too-deep"


def test_attribute_limit_per_element() -> None:
    """libxml2's c14n sorts an element's attributes by list insertion: quadratic in their number."""

    def element(n: int, xmlns: str = "") -> bytes:
        return f"<r{xmlns}><a ".encode() + " ".join(f'a{i}="{i}"' for i in range(n)).encode() + b"/></r>"

    assert parse(element(MAX_ATTRIBUTES)) is not None
    # namespace declarations are not attributes; many attributes over many elements are fine
    assert parse(element(MAX_ATTRIBUTES, ' xmlns:p="urn:p" xmlns:q="urn:q"')) is not None
    assert parse(b"<r>" + b'<a x="1" y="2"/>' * 10_000 + b"</r>") is not None
    for data in (element(MAX_ATTRIBUTES + 1), element(100_000)):
        with pytest.raises(UnsafeXML) as err:
            parse(data)
        assert err.value.code == "too-many-attributes"


def test_size_limit() -> None:
    data = b"<r>" + b"a" * 100 + b"</r>"
    assert parse(data, max_bytes=len(data)) is not None
    with pytest.raises(UnsafeXML) as err:
        parse(data, max_bytes=len(data) - 1)
    assert err.value.code == "message-too-large"


def test_ids_of_keeps_duplicates() -> None:
    root = parse(b'<r ID="a"><x ID="b"/><y Id="a"/><z AssertionID="c"/></r>')
    found = ids_of(root)
    assert len(found["a"]) == 2
    assert len(found["b"]) == 1 and len(found["c"]) == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_either_parse_or_raise_unsafe_xml(data: bytes) -> None:
    try:
        parse(data)
    except UnsafeXML as err:
        assert err.code in {"malformed-xml", "doctype-forbidden", "too-deep"}


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_text_content_round_trips(text: str) -> None:
    el = etree.Element("r")
    try:
        el.text = text
    except ValueError:
        return  # control characters XML cannot carry
    root = parse(etree.tostring(el))
    assert (root.text or "") == text


def _outcome(data: bytes, fresh: bool) -> tuple[str, str]:
    """What parse makes of `data`: its serialisation, or the refusal's code and message."""
    original = safexml._parser
    if fresh:
        safexml._parser = lambda: etree.XMLParser(**safexml._PARSER_KW)
    try:
        return "ok", etree.tostring(parse(data, 1 << 16)).decode()
    except UnsafeXML as err:
        return err.code, err.message
    finally:
        safexml._parser = original


_XML_PIECES = st.sampled_from(
    [
        "<a>",
        "</a>",
        "<b x='1'>",
        "</b>",
        "<c/>",
        "text",
        "&amp;",
        "&x;",
        "<!--c-->",
        "<?pi x?>",
        "<!DOCTYPE a>",
        "<![CDATA[d]]>",
        "<",
        ">",
        "'",
        '"',
        "=",
        " ",
        "xmlns:p='urn:p'",
        "<p:e/>",
        "\x00",
        "é",
    ]
)


@given(st.lists(st.lists(_XML_PIECES, max_size=12).map("".join), min_size=1, max_size=4))
@settings(max_examples=300)
def test_this_threads_reused_parser_reads_each_document_as_a_fresh_parser(docs: list[str]) -> None:
    """One parser per thread serves every message: nothing of a document (or its errors) stays for the next."""
    for doc in docs:
        data = doc.encode()
        assert _outcome(data, fresh=False) == _outcome(data, fresh=True)


def test_each_thread_parses_with_its_own_parser() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(safexml._parser())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] is not seen[1]
    assert safexml._parser() is safexml._parser()
