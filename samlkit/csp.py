"""Content-Security-Policy for the servers' pages: each page allows what it needs and nothing else.

Every page of `samlkit.html` has one `<style>` (the shared CSS) and at most a constant script, so a
policy names them by hash: nothing else runs or loads (`default-src 'none'`), no `<base>` can move
the page's relative URLs, and a page is framed only where it must be (`frame-ancestors`).

`form-action` is the one directive a page cannot always bound. Browsers check it against every
redirect that follows the form's POST (Chromium does: a 303 from the target to another origin is
refused), and a self-posting SAML page posts to an SP that then goes on to wherever its application
lives (an ACS on sso.example redirects to app.example; an SLO endpoint to its exit URL), which the
IdP cannot know. Such pages leave `form-action` out (`Policy.form_action is None`); their one form is
built by the server, every value escaped, and no other script can run to change it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache

from samlkit.html import AUTO_POST_SCRIPT, CSS, origin_of

HEADER = "Content-Security-Policy"
SELF = "'self'"
NONE = "'none'"


def source_hash(text: str) -> str:
    """The CSP hash source of an inline `<script>` or `<style>` whose text is exactly `text`."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class Policy:
    """One page's policy. `form_action` None: left out (see the module's docstring); () is 'none'."""

    scripts: tuple[str, ...] = ()  # the exact text of each inline script
    form_action: tuple[str, ...] | None = (SELF,)
    frame_ancestors: str = NONE  # NONE; SELF for a page shown in the server's own frames; or one origin (`framed_by`)
    frame_src: tuple[str, ...] = ()  # origins the page's frames may show

    @property
    def header(self) -> str:
        return _render(self)


@lru_cache(maxsize=256)
def _render(p: Policy) -> str:
    parts = [f"default-src {NONE}", f"style-src {source_hash(CSS)}", f"base-uri {NONE}"]
    if p.scripts:
        parts.append("script-src " + " ".join(source_hash(s) for s in p.scripts))
    if p.frame_src:
        parts.append("frame-src " + " ".join(dict.fromkeys(p.frame_src)))
    if p.form_action is not None:
        parts.append("form-action " + (" ".join(dict.fromkeys(p.form_action)) or NONE))
    parts.append(f"frame-ancestors {p.frame_ancestors}")
    return "; ".join(parts)


def origins(urls: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The clean origins of `urls` (`samlkit.html.origin_of`), in order, each once; a URL without one
    is left out, so nothing from a URL reaches the header but a plain origin."""
    found = (origin_of(u) for u in urls)
    return tuple(dict.fromkeys(o for o in found if o is not None))


def framed_by(policy: Policy, url: str) -> Policy:
    """`policy` for a page shown only in frames of `url`'s origin (an SP's SLO answer in the IdP's
    logout page); 'none' when `url` names no clean origin (`origins`), so nothing else it carries
    (a space, `*`, `;`) can reach the header."""
    found = origins([url])
    return replace(policy, frame_ancestors=found[0] if found else NONE)


PAGE = Policy()  # a page with the server's own forms (sign in, second factor, confirm a logout)
STATIC = Policy(form_action=())  # a page without a form (an error, the index, a result)
AUTO_POST = Policy(scripts=(AUTO_POST_SCRIPT,), form_action=None)  # the HTTP-POST binding's page
