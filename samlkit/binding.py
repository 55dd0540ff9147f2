"""Send and receive signed SAML protocol messages over HTTP-Redirect or HTTP-POST.

Sending: Redirect deflates the unsigned XML and signs the query (SigAlg/Signature); POST
signs the element itself (enveloped) and puts it in a self-posting form. Receiving: decode
within bounds, parse safely, and verify the signature of the binding it came by against one
trusted certificate (never a key from the message).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from samlkit import codec, ns, redirect_sign, xmldsig
from samlkit.html import auto_post_form
from samlkit.safexml import UnsafeXML, parse

REDIRECT, POST = "HTTP-Redirect", "HTTP-POST"
BINDING_NAMES = {"redirect": REDIRECT, "post": POST, ns.BINDING_REDIRECT: REDIRECT, ns.BINDING_POST: POST}


class MessageProblem(Exception):
    """A message that could not be read, with a stable reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Outgoing:
    """A signed message ready for the browser: a redirect Location or a self-posting form."""

    binding: str
    destination: str
    param: str
    value: str  # as it travels: deflated base64 (Redirect) or base64 (POST)
    relay_state: str | None
    location: str = ""  # Redirect only: the whole URL

    def form_html(self, actor: str) -> str:
        fields = {self.param: self.value}
        if self.relay_state:
            fields["RelayState"] = self.relay_state
        return auto_post_form(self.destination, fields, actor=actor)


def send(
    root: etree._Element,
    *,
    param: str,
    binding: str,
    relay_state: str | None,
    key_pem: bytes,
    cert_pem: bytes | None,
    hash_name: str = "sha256",
) -> Outgoing:
    """Sign `root` for `binding` ("redirect" or "post") and address it to its Destination."""
    destination = root.get("Destination") or ""
    if BINDING_NAMES.get(binding, binding) == POST:
        xmldsig.sign(root, key_pem, cert_pem, hash_name=hash_name)
        value = codec.encode_post(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        return Outgoing(POST, destination, param, value, relay_state)
    value = codec.encode_redirect(etree.tostring(root, encoding="UTF-8"))
    query = redirect_sign.sign_query(param, value, relay_state, key_pem, hash_name)
    location = destination + ("&" if "?" in destination else "?") + query
    return Outgoing(REDIRECT, destination, param, value, relay_state, location)


@dataclass
class Received:
    binding: str
    param: str  # SAMLRequest | SAMLResponse
    value: str
    relay_state: str | None
    root: etree._Element
    raw_query: str  # Redirect: the query string exactly as received


def receive(method: str, args: dict, form: dict, raw_query: str, max_bytes: int = codec.MAX_MESSAGE_BYTES) -> Received:
    """The one SAML message of a request (GET: Redirect, POST: POST binding), decoded and parsed safely."""
    source, binding = (form, POST) if method == "POST" else (args, REDIRECT)
    param = next((p for p in ("SAMLRequest", "SAMLResponse") if source.get(p)), None)
    if param is None:
        raise MessageProblem("message-missing", f"No SAMLRequest or SAMLResponse came by {binding}.")
    value = source.get(param) or ""
    try:
        xml = codec.decode_post(value, max_bytes) if binding == POST else codec.decode_redirect(value, max_bytes)
    except codec.DecodeError as err:
        code = "message-too-large" if "larger" in str(err) else "malformed-message"
        raise MessageProblem(code, f"The {param} cannot be decoded ({binding}): {err}.") from err
    try:
        root = parse(xml, max_bytes)
    except UnsafeXML as err:
        raise MessageProblem(err.code, f"The {param} was refused before parsing: {err.message}.") from err
    if etree.QName(root).namespace != ns.SAMLP or root.get("Version") != "2.0":
        raise MessageProblem("not-saml2", f"The {param} is not a SAML 2.0 protocol message.")
    relay = source.get("RelayState")
    return Received(binding, param, value, relay, root, raw_query if binding == REDIRECT else "")


def verify(msg: Received, cert_pem: bytes) -> str:
    """Check the message's signature for its binding against `cert_pem`; returns what held, in words.

    Raises `xmldsig.SignatureProblem` with the same codes as the Response checks.
    """
    if msg.binding == REDIRECT:
        alg = redirect_sign.verify_query(msg.raw_query, cert_pem)
        # The signature covers the raw query; the message was read from the parsed one: the same?
        param, value, relay = redirect_sign.signed_message(msg.raw_query)
        relay_differs = msg.relay_state is not None and relay != msg.relay_state
        if (param, value) != (msg.param, msg.value) or relay_differs:
            raise xmldsig.SignatureProblem(
                "signature-invalid", "the signed query string carries another message than the one read"
            )
        return f"query-string signature ({alg}) verifies with the trusted certificate"
    found = xmldsig.verify(msg.root, cert_pem)
    return f"enveloped signature ({found.sig_alg}) verifies with the trusted certificate"


def raw_url(base_url: str, raw_query: str) -> str:
    """The URL as the browser sent it: a Redirect signature covers the query's exact octets,
    which a re-built URL (Werkzeug's `request.url`) may spell differently."""
    return f"{base_url}?{raw_query}" if raw_query else base_url
