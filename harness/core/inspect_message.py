"""The inspector: anything pasted in, every SAML message in it decoded, summarised and explained.

`inspect` never raises: a piece that fails sets `Message.error` and the rest is still filled, so
the GUI inspector and the `decode` command can always show something. (Named inspect_message so
it does not shadow the standard library's `inspect`.)
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from harness.core.decode import DecodedInput, DecodeFailure, decode_any, pretty_xml
from harness.core.explain import REDIRECT_REFERENCE, explain_redirect_signature, explain_signatures
from harness.core.inspect_encrypted import open_encrypted, open_inner
from harness.core.report import signature_ok
from harness.core.summary import summarize
from harness.core.terminal import field
from harness.core.trace import Message, MessageSummary, SignatureInfo
from samlkit import codec, safexml
from sp.trust import pick_for_signature

OK, FAIL, UNKNOWN = "✔", "✘", "?"


TrustedCert = bytes | list[bytes] | Callable[[str], bytes | list[bytes] | None] | None


def inspect(
    text: str | bytes, trusted_cert_pem: TrustedCert = None, decryption_key_pem: bytes | None = None
) -> list[Message]:
    """One Message per SAML message found in `text`; a single Message with `error` if none is.

    `trusted_cert_pem` is a PEM, or a lookup from the message's Issuer to the PEM that issuer is
    trusted with (the recorder's case: it learns the issuer only from the message itself).
    `decryption_key_pem` (a private key) decrypts an EncryptedAssertion, so that its summary and
    signatures can be read; without it the message says what would decrypt it.
    """
    try:
        found = decode_any(text)
    except DecodeFailure as err:
        return [Message(raw=_as_text(text), error=str(err))]
    except Exception as err:  # decode_any promises DecodeFailure only; the inspector must not crash
        return [Message(raw=_as_text(text), error=f"The input could not be decoded ({type(err).__name__}: {err}).")]
    return [_inspect_one(d, trusted_cert_pem, decryption_key_pem) for d in found]


def _as_text(text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray | memoryview):
        return bytes(text).decode("utf-8", "replace")
    return ""


def _inspect_one(d: DecodedInput, trusted_cert_pem: TrustedCert, key_pem: bytes | None = None) -> Message:
    msg = Message(param=d.param, binding=d.binding, raw=d.raw, relay_state=d.relay_state)
    errors: list[str] = []
    try:
        msg.xml = pretty_xml(d.xml_bytes)
    except Exception as err:
        msg.xml = d.xml_bytes.decode("utf-8", "replace")
        errors.append(f"The XML could not be pretty-printed: {err}")
    try:
        root = safexml.parse(d.xml_bytes, max_bytes=codec.MAX_MESSAGE_BYTES)
    except Exception as err:
        errors.append(f"The XML could not be read: {err}")
        msg.error = " ".join(errors)
        return msg
    opened = open_encrypted(root, key_pem)
    msg.encryption = opened.notes
    plain = opened.decrypted
    if plain is not None:
        msg.xml = pretty_xml(etree.tostring(plain))
    try:
        msg.summary = summarize(plain if plain is not None else root)
    except Exception as err:
        errors.append(f"The message could not be summarised: {err}")
    if callable(trusted_cert_pem):
        issuer = msg.summary.assertion_issuer or msg.summary.issuer
        trusted_cert_pem = trusted_cert_pem(issuer) if issuer else None
    if isinstance(trusted_cert_pem, list):  # two during a rollover: explain with the one KeyInfo names
        trusted_cert_pem = pick_for_signature(root, trusted_cert_pem) if trusted_cert_pem else None
    try:
        msg.signatures = explain_signatures(root, trusted_cert_pem)
        if plain is not None:  # the Response's signature covers the encrypted form; the rest, the plaintext
            outer = {(s.element, s.element_id) for s in msg.signatures}
            inner = explain_signatures(plain, trusted_cert_pem)
            msg.signatures += [s for s in inner if (s.element, s.element_id) not in outer]
            msg.encryption += open_inner(plain, key_pem)
            msg.summary = summarize(plain)
    except Exception as err:
        errors.append(f"The signatures could not be explained: {err}")
    if d.signature is not None or d.sig_alg is not None:
        try:
            msg.signatures.append(
                explain_redirect_signature(
                    element=msg.summary.kind or d.param,
                    element_id=msg.summary.id,
                    sig_alg=d.sig_alg,
                    signature=d.signature,
                    signed_query=d.signed_query,
                    trusted_cert_pem=trusted_cert_pem,
                )
            )
        except Exception as err:
            errors.append(f"The query-string signature could not be explained: {err}")
    msg.error = " ".join(errors)
    return msg


# -- text rendering for the command line -------------------------------------------------------

_FIELDS = [
    ("ID", "id"),
    ("InResponseTo", "in_response_to"),
    ("Issuer", "issuer"),
    ("IssueInstant", "issue_instant"),
    ("Destination", "destination"),
    ("Status", "status"),
    ("ACS URL", "acs_url"),
    ("ProtocolBinding", "protocol_binding"),
    ("NameIDPolicy", "name_id_policy"),
    ("Assertions", "assertion_ids"),
    ("Assertion issuer", "assertion_issuer"),
    ("NameID", "name_id"),
    ("NameID format", "name_id_format"),
    ("Recipient", "recipient"),
    ("Confirmation", "subject_confirmation_method"),
    ("Subject until", "subject_not_on_or_after"),
    ("NotBefore", "not_before"),
    ("NotOnOrAfter", "not_on_or_after"),
    ("Audiences", "audiences"),
    ("AuthnContext", "authn_context"),
    ("AuthnInstant", "authn_instant"),
    ("SessionIndex", "session_index"),
    ("Signed", "signed_elements"),
]


def _mark(value: bool | None) -> str:
    return OK if value else (UNKNOWN if value is None else FAIL)


def signature_mark(sig: SignatureInfo) -> str:
    """✔ holds (digest and value), ✘ fails, ? not established (no trusted certificate, or not recomputable)."""
    return {True: OK, False: FAIL, None: UNKNOWN}[signature_ok(sig)]


def _format_summary(s: MessageSummary, lines: list[str]) -> None:
    lines.append(field(s.kind) or "(unknown message)")
    width = max(len(label) for label, _ in _FIELDS) + 1
    for label, attr in _FIELDS:
        value = getattr(s, attr)
        if isinstance(value, list):
            value = ", ".join(v or "(no ID)" for v in value)
        if value:
            lines.append(f"  {label + ':':<{width}} {field(value)}")
    if s.attributes:
        lines.append("Attributes")
        for name, values in s.attributes.items():
            lines.append(f"  {field(name or '(no name)')}: {field(', '.join(values))}")


def _short(digest: str) -> str:
    return digest[:12] + "…" if len(digest) > 12 else digest or "-"


def _format_signature(sig: SignatureInfo, lines: list[str]) -> None:
    where = field(f"{sig.element} #{sig.element_id}" if sig.element_id else sig.element)
    algs = field(", ".join(a for a in (sig.sig_alg, f"digest {sig.digest_alg}" if sig.digest_alg else "") if a))
    lines.append(f"  {signature_mark(sig)} {where}" + (f"  ({algs})" if algs else ""))
    if sig.reference_uri == REDIRECT_REFERENCE:
        lines.append("      covers    the query string (SAMLRequest/SAMLResponse, RelayState, SigAlg)")
    else:
        extra = f"   transforms: {field(', '.join(sig.transforms))}" if sig.transforms else ""
        lines.append(f"      reference {field(sig.reference_uri) or '(whole document)'}{extra}")
        if sig.digest_stated or sig.digest_computed:
            stated, computed = field(_short(sig.digest_stated)), field(_short(sig.digest_computed))
            lines.append(f"      digest    stated {stated}  computed {computed}  {_mark(sig.digest_ok)}")
    if sig.value_ok is not None:
        said = "verifies" if sig.value_ok else "does not verify"
        lines.append(f"      value     {said} with the trusted certificate  {_mark(sig.value_ok)}")
    if sig.keyinfo_cert_sha256:
        same = {True: "= trusted", False: "≠ trusted", None: ""}[sig.cert_matches]
        subject, sha = field(sig.keyinfo_subject) or "(unreadable)", field(sig.keyinfo_cert_sha256[:16])
        lines.append(
            f"      KeyInfo   {subject} SHA-256 {sha}…"
            f"  {same} {_mark(sig.cert_matches) if sig.cert_matches is not None else ''}".rstrip()
        )
    if sig.trusted_cert_sha256:
        lines.append(f"      trusted   {field(sig.trusted_subject)} SHA-256 {field(sig.trusted_cert_sha256[:16])}…")
    if sig.verdict:
        lines.append(f"      {field(sig.verdict)}")


def format_message(msg: Message, *, xml: bool = False) -> str:
    """A human-readable rendering of one inspected message (the `decode` command prints it)."""
    lines: list[str] = []
    head = field(msg.param) or "Message"
    if msg.binding:
        head += f" ({field(msg.binding)})"
    lines.append(head)
    if msg.relay_state is not None:
        lines.append(f"RelayState: {field(msg.relay_state)}")
    if msg.error:
        lines.append(f"{FAIL} {field(msg.error)}")
    if msg.summary.kind:
        _format_summary(msg.summary, lines)
    if msg.encryption:
        lines.append("Encrypted")
        lines.extend(f"  {field(note)}" for note in msg.encryption)
    if msg.signatures:
        lines.append("Signatures")
        for sig in msg.signatures:
            _format_signature(sig, lines)
    elif msg.summary.kind:
        lines.append("Signatures: none")
    if xml and msg.xml:
        lines.append("")
        lines.append(msg.xml)
    return "\n".join(lines)
