"""Plain, accessible HTML pages shared by both servers; they work without JavaScript."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from samlkit.visible import visible

# Both servers name a refusal's reason code in this header as well as on the page.
REASON_HEADER = "X-SAML-Reason"

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;
color:#1d2733;line-height:1.45}
h1{font-size:1.4rem}.actor{color:#5a6b7c;font-size:.85rem;text-transform:uppercase;letter-spacing:.06em}
form{margin:1rem 0}label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password],select{
padding:.4rem;width:100%;max-width:22rem;box-sizing:border-box}
button{padding:.45rem 1rem;margin-top:.8rem}.refusal{border-left:4px solid #c62828;padding:.4rem .9rem;
background:#fdecea}.ok{border-left:4px solid #2e7d32;padding:.4rem .9rem;background:#edf7ed}
code{background:#eef1f4;padding:0 .25rem}table{border-collapse:collapse}td,th{padding:.25rem .6rem;
border-bottom:1px solid #dde3e8;text-align:left}.choice label{display:inline}
"""


# The ASCII characters esc changes (or may: newline and tab are kept), found in one C pass.
_ESCAPED_ASCII = bytes(range(0x20)) + b"\x7f&<>\"'"


def esc(value: object) -> str:
    """`value` as HTML text or attribute value, for every page of both servers: markup escaped,
    and each control or direction character (NUL, ESC, CR, DEL, C1, bidi overrides) shown as a
    visible escape (`\\x00`), newlines and tabs kept. A request path, a RelayState or a NameID
    echoed back then neither runs markup nor puts raw control bytes in the page."""
    text = str(value)
    if text.isascii() and len(text.encode("ascii").translate(None, _ESCAPED_ASCII)) == len(text):
        return text  # nothing to change: a 10 kB base64 SAMLResponse in ~5 us instead of ~27
    return escape(visible(text), quote=True)


def page(title: str, body: str, *, actor: str = "", onload: str = "") -> str:
    load = f' onload="{esc(onload)}"' if onload else ""
    head_actor = f'<div class="actor">{esc(actor)}</div>' if actor else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body{load}><main>{head_actor}<h1>{esc(title)}</h1>{body}</main></body></html>"
    )


AUTO_POST_SCRIPT = "document.getElementById('saml-post').submit();"  # named by hash in its CSP (samlkit.csp)


def auto_post_form(action: str, fields: dict[str, str], *, actor: str = "") -> str:
    """The HTTP-POST binding: a form that submits itself, with a button when scripts are off."""
    inputs = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items() if v is not None
    )
    body = (
        f'<form id="saml-post" method="post" action="{esc(action)}">{inputs}'
        "<noscript><p>JavaScript is off: press Continue to carry on.</p></noscript>"
        '<button type="submit">Continue</button></form>'
        f"<script>{AUTO_POST_SCRIPT}</script>"
    )
    return page("Signing you in…", body, actor=actor)


_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?")
_IPV6 = re.compile(r"[0-9a-f:.]+")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, rebuilt from its parsed parts (userinfo dropped, the
    host lower-cased); None unless the host is a plain DNS name or IP address and the port a number,
    so that nothing from the URL (a space, `*`, `;`, `,`, a quote) reaches a header as more than one origin."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:  # a port that is not a number in 0-65535
        return None
    if scheme not in ("http", "https"):
        return None
    if _HOST.fullmatch(host):
        authority = host
    elif ":" in host and _IPV6.fullmatch(host):
        authority = f"[{host}]"
    else:
        return None
    return f"{scheme}://{authority}" + (f":{port}" if port is not None else "")
