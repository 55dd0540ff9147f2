"""Turn whatever a tester pastes into SAML message XML.

Understood forms: raw XML; base64 of XML (HTTP-POST); base64 of raw DEFLATE (HTTP-Redirect);
URL-encoded versions of those; a whole URL whose query string carries SAMLRequest or
SAMLResponse (with RelayState, SigAlg, Signature); an HTML page whose form has hidden inputs
named SAMLRequest/SAMLResponse/RelayState; a `name=value&...` form body. Binary DEFLATE bytes
are accepted too.

Nothing here trusts its input: decoding is bounded (`samlkit.codec`), XML goes through
`samlkit.safexml.parse` (DOCTYPEs and entities refused), and the only exception raised is
`DecodeFailure`, whose message is meant to be shown to the tester as is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from lxml import etree

from samlkit import codec, safexml

MAX_INPUT_CHARS = 2 * 1024 * 1024
MAX_XML_BYTES = codec.MAX_MESSAGE_BYTES

PARAMS = ("SAMLRequest", "SAMLResponse")
_EXTRA = ("RelayState", "SigAlg", "Signature")
_CANONICAL = {name.lower(): name for name in PARAMS + _EXTRA}

_PARAM_AT_START = re.compile(r"(?i)^(?:SAMLRequest|SAMLResponse|RelayState|SigAlg|Signature)=")
_PARAM_ANYWHERE = re.compile(r"(?i)(?:^|[?&])SAML(?:Request|Response)=")
_SCHEME = re.compile(r"(?i)^[a-z][a-z0-9+.-]{0,20}://")
_HTMLISH = re.compile(r"(?i)<(?:input|form|html|body|!doctype\s+html)\b")
_HTML_PAGE = re.compile(r"(?i)\s*<(?:!doctype\s+html|html)\b")
_TAG = re.compile(r"(?i)<(input|form)\b([^<>]*)>")
_ATTR = re.compile(r"""([^\s=/>"']+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_DECL_ENCODING = re.compile(r"""encoding\s*=\s*["']\s*([A-Za-z0-9._-]+)""")


class DecodeFailure(ValueError):
    """The input could not be understood as a SAML message; the text says why, in plain words."""


@dataclass
class DecodedInput:
    """One SAML message found in the input."""

    param: str  # "SAMLRequest" | "SAMLResponse" | "" (raw XML or a bare value)
    binding: str  # "HTTP-Redirect" | "HTTP-POST" | "raw"
    raw: str  # the value as it appeared in the input (the whole input for raw XML / a bare value)
    xml_bytes: bytes
    relay_state: str | None = None
    sig_alg: str | None = None  # HTTP-Redirect query-string signature, if any
    signature: str | None = None
    signed_query: bytes | None = None  # the exact octets that query-string signature covers


def decode_any(text: str | bytes) -> list[DecodedInput]:
    """Every SAML message in `text`, decoded to XML bytes that parse safely.

    Raises DecodeFailure (only) when the input holds no message, or a message that cannot be
    decoded or is unsafe XML.
    """
    if isinstance(text, bytes | bytearray | memoryview):
        return _decode_bytes(bytes(text))
    if not isinstance(text, str):
        raise DecodeFailure("Nothing to decode: expected text or bytes.")
    return _decode_text(text)


def pretty_xml(xml_bytes: bytes) -> str:
    """An indented copy of the message for display; the bytes given are never changed.

    Pretty-printing alters whitespace, which is signed content: never verify what this returns.
    """
    root = _parse(xml_bytes)  # a fresh tree, so indenting it touches nothing else
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


# -- the input forms ---------------------------------------------------------------------------


def _decode_bytes(data: bytes) -> list[DecodedInput]:
    if len(data) > MAX_INPUT_CHARS:
        raise DecodeFailure(f"The input is {len(data)} bytes, over the limit of {MAX_INPUT_CHARS}.")
    body = data.removeprefix(b"\xef\xbb\xbf")
    for encoding in ("utf-8", "utf-16") if body.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8",):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _decode_text(text)  # as text, the DOCTYPE check runs before any parsing
    stripped = body.lstrip()
    if stripped.startswith(b"<") or body.startswith((b"\xff\xfe", b"\xfe\xff")):
        # XML in another encoding: let the parser read its declaration.
        _parse(body)
        return [DecodedInput(param="", binding="raw", raw=body.decode("latin-1"), xml_bytes=body)]
    xml, kind = _xml_from_binary(body, what="The input")
    return [
        DecodedInput(
            param="",
            binding="HTTP-Redirect" if kind == "deflate" else "raw",
            raw=body.decode("latin-1"),
            xml_bytes=xml,
        )
    ]


def _decode_text(text: str) -> list[DecodedInput]:
    if len(text) > MAX_INPUT_CHARS:
        raise DecodeFailure(f"The input is {len(text)} characters, over the limit of {MAX_INPUT_CHARS}.")
    s = text.lstrip("\ufeff").strip()
    if not s:
        raise DecodeFailure(
            "The input is empty: paste a SAML message (XML, base64, deflated), a URL, a form body or an HTML page."
        )
    if "<" in s and _HTMLISH.search(s):
        found = _from_html(s)
        if found:
            return found
        if _HTML_PAGE.match(s):
            raise DecodeFailure("The HTML page has no form input named SAMLRequest or SAMLResponse.")
    if s.startswith("<"):
        return [_from_raw_xml(s)]
    compact = "".join(s.split())
    if _PARAM_AT_START.match(compact):
        return _from_query(compact, binding=None, what="The form body")
    if "?" in compact or _SCHEME.match(compact):
        query = compact.split("#", 1)[0].partition("?")[2]
        if not _PARAM_ANYWHERE.search("?" + query):
            raise DecodeFailure("The URL carries no SAMLRequest or SAMLResponse parameter.")
        return _from_query(query, binding="HTTP-Redirect", what="The URL")
    if "&" in compact and _PARAM_ANYWHERE.search(compact):
        return _from_query(compact, binding=None, what="The form body")
    return [_from_bare_value(compact)]


def _from_raw_xml(s: str) -> DecodedInput:
    body = s
    decl = _XML_DECL.match(body)
    if decl:
        enc = _DECL_ENCODING.search(decl.group(0))
        if enc and enc.group(1).lower().replace("-", "").replace("_", "") not in ("utf8",):
            body = body[decl.end() :]  # we re-encode as UTF-8, so the declaration would lie
    xml = body.encode("utf-8", "replace")
    _parse(xml)
    return DecodedInput(param="", binding="raw", raw=s, xml_bytes=xml)


def _from_bare_value(value: str) -> DecodedInput:
    decoded = value
    for _ in range(3):  # URL-encoded, possibly twice
        if "%" not in decoded:
            break
        step = unquote(decoded)
        if step == decoded:
            break
        decoded = step.strip()
    if decoded.startswith("<"):
        found = _from_raw_xml(decoded)
        found.raw = value
        return found
    xml, kind = _xml_from_base64("".join(decoded.split()), what="The input")
    binding = "HTTP-Redirect" if kind == "deflate" else "HTTP-POST"
    return DecodedInput(param="", binding=binding, raw=value, xml_bytes=xml)


def _from_query(query: str, *, binding: str | None, what: str) -> list[DecodedInput]:
    """`binding` None means a form body: the encoding tells the binding."""
    messages: list[tuple[str, str, str]] = []  # (param, raw piece value, decoded value)
    extra: dict[str, tuple[str, str]] = {}
    for piece in query.split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        name = _CANONICAL.get(unquote_plus(raw_name).lower())
        if name is None:
            continue
        value = unquote_plus(raw_value)
        if name in PARAMS:
            messages.append((name, raw_value, value))
        else:
            extra.setdefault(name, (raw_value, value))
    if not messages:
        raise DecodeFailure(f"{what} carries no SAMLRequest or SAMLResponse parameter.")
    relay = extra.get("RelayState", (None, None))[1]
    sig_alg = extra.get("SigAlg", (None, None))[1]
    signature = extra.get("Signature", (None, None))[1]
    found = []
    for param, raw_value, value in messages:
        xml, kind = _decode_param_value(value, param)
        found_binding = binding or ("HTTP-Redirect" if kind == "deflate" or signature else "HTTP-POST")
        signed_query = None
        if signature is not None and sig_alg is not None:
            parts = [f"{param}={raw_value}"]
            if "RelayState" in extra:
                parts.append(f"RelayState={extra['RelayState'][0]}")
            parts.append(f"SigAlg={extra['SigAlg'][0]}")
            signed_query = "&".join(parts).encode("utf-8", "replace")
        found.append(
            DecodedInput(
                param=param,
                binding=found_binding,
                raw=raw_value,
                xml_bytes=xml,
                relay_state=relay,
                sig_alg=sig_alg,
                signature=signature,
                signed_query=signed_query,
            )
        )
    return found


def _without_comments(page: str) -> str:
    """Drop <!-- ... --> in one linear pass (a commented-out input is not part of the form)."""
    out, pos = [], 0
    while True:
        begin = page.find("<!--", pos)
        if begin < 0:
            out.append(page[pos:])
            return "".join(out)
        out.append(page[pos:begin])
        close = page.find("-->", begin + 4)
        if close < 0:
            return "".join(out)
        pos = close + 3


def _form_inputs(page: str) -> list[tuple[int, str, str]]:
    """(form number, parameter name, value) of each SAML-related <input>, in page order.

    A small linear scan rather than html.parser, which is quadratic on some malformed markup.
    """
    form = 0
    inputs = []
    for tag in _TAG.finditer(_without_comments(page)):
        if tag.group(1).lower() == "form":
            form += 1
            continue
        attrs = {}
        for attr in _ATTR.finditer(tag.group(2)):
            value = next((v for v in attr.group(2, 3, 4) if v is not None), "")
            attrs.setdefault(attr.group(1).lower(), html.unescape(value))
        name = _CANONICAL.get(attrs.get("name", "").strip().lower())
        if name is not None:
            inputs.append((form, name, attrs.get("value", "")))
    return inputs


def _from_html(page: str) -> list[DecodedInput]:
    inputs = _form_inputs(page)
    relay: dict[int, str] = {}
    for form, name, value in inputs:
        if name == "RelayState":
            relay.setdefault(form, value)
    found = []
    for form, name, value in inputs:
        if name not in PARAMS:
            continue
        xml, _kind = _decode_param_value("".join(value.split()), name)
        found.append(
            DecodedInput(param=name, binding="HTTP-POST", raw=value, xml_bytes=xml, relay_state=relay.get(form))
        )
    return found


# -- encodings ---------------------------------------------------------------------------------


def _decode_param_value(value: str, param: str) -> tuple[bytes, str]:
    what = f"The {param} value"
    if not value.strip():
        raise DecodeFailure(f"{what} is empty.")
    if value.lstrip().startswith("<"):
        xml = value.strip().encode("utf-8", "replace")
        _parse(xml, what=what)
        return xml, "xml"
    candidates = ["".join(value.split())]
    if " " in value.strip():
        # a '+' that was not URL-encoded turns into a space when the query string is decoded
        candidates.insert(0, value.strip().replace(" ", "+"))
    last: DecodeFailure | None = None
    for candidate in candidates:
        try:
            return _xml_from_base64(candidate, what=what)
        except DecodeFailure as err:
            last = err
    assert last is not None
    raise last


def _b64(value: str) -> bytes | None:
    attempts = [value]
    if "-" in value or "_" in value:
        attempts.append(value.replace("-", "+").replace("_", "/"))
    for attempt in list(attempts):
        if len(attempt) % 4:
            attempts.append(attempt + "=" * (-len(attempt) % 4))
    for attempt in attempts:
        try:
            return codec.b64decode_strict(attempt)
        except codec.DecodeError:
            continue
    return None


def _xml_from_base64(value: str, *, what: str) -> tuple[bytes, str]:
    if len(value) > (MAX_XML_BYTES * 4) // 3 + 8:
        raise DecodeFailure(f"{what} is larger than the limit of {MAX_XML_BYTES} bytes.")
    data = _b64(value)
    if data is None:
        raise DecodeFailure(f"{what} is not XML, base64, URL-encoded base64, a URL, a form body or an HTML form.")
    if not data:
        raise DecodeFailure(f"{what} is empty once base64-decoded.")
    return _xml_from_binary(data, what=f"{what} (base64-decoded)")


def _looks_like_xml(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def _xml_from_binary(data: bytes, *, what: str) -> tuple[bytes, str]:
    """Plain XML bytes, or raw DEFLATE (zlib-wrapped tolerated) of XML."""
    if _looks_like_xml(data):
        _parse(data, what=what)
        return data, "base64"
    attempts = [data]
    if len(data) > 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0:
        attempts.append(data[2:])  # a zlib header: some tools send zlib instead of raw DEFLATE
    reason = ""
    for attempt in attempts:
        try:
            inflated = codec.inflate(attempt, MAX_XML_BYTES)
        except codec.DecodeError as err:
            reason = reason or str(err)
            if "larger than" in str(err):
                raise DecodeFailure(f"{what}: {err}; refused as a possible decompression bomb.") from None
            continue
        if _looks_like_xml(inflated):
            _parse(inflated, what=f"{what}, once inflated,")
            return inflated, "deflate"
        reason = "it inflates, but not to XML"
    raise DecodeFailure(f"{what} is neither XML nor DEFLATE-compressed XML ({reason or 'unknown format'}).")


def _parse(xml: bytes, what: str = "The message") -> etree._Element:
    try:
        return safexml.parse(xml, max_bytes=MAX_XML_BYTES)
    except safexml.UnsafeXML as err:
        if err.code == "doctype-forbidden":
            raise DecodeFailure(
                f"Refused: {what[0].lower() + what[1:]} contains a DOCTYPE or entity declaration. SAML "
                "messages never need one, and DOCTYPEs carry XML entity attacks (XXE, entity expansion), "
                "so it was not parsed."
            ) from None
        detail = err.message.removeprefix("the message ")
        raise DecodeFailure(f"{what} {detail}.") from None
    except (etree.LxmlError, ValueError, TypeError) as err:
        raise DecodeFailure(f"{what} is not well-formed XML ({err}).") from None
