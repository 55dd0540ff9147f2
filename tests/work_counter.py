"""Bounded work instead of wall-clock limits (a busy 2-core CI must never fail a test for load).

`Counting` stands in for a module inside the code under test and counts the calls that do the
expensive work (a signature check, an lxml parse, bytes inflated), so a test asserts that an
attack was refused before that work, or that the work stayed within a bound.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class Counting:
    """Proxy for `module`; each name in `counted` is called through and counted in `calls`."""

    def __init__(self, module: Any, *counted: str):
        self._module = module
        self._counted = set(counted)
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._module, name)
        if name not in self._counted:
            return real

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return real(*args, **kwargs)

        return counted


class Checks:
    """Several `Counting`s read as one number."""

    def __init__(self, *countings: Counting):
        self.countings = countings

    @property
    def total(self) -> int:
        return sum(sum(c.calls.values()) for c in self.countings)


def signature_checks(monkeypatch: Any) -> Checks:
    """Counts every signature check samlkit.xmldsig starts: a libxmlsec1 signing or verification
    context, or its own canonicalisation of a signed element (the common form it checks itself)."""
    from samlkit import dsig_value, xmldsig

    libxmlsec1 = Counting(xmldsig.xmlsec, "SignatureContext")
    own = Counting(dsig_value.dsig_recompute, "referenced_octets")
    monkeypatch.setattr(xmldsig, "xmlsec", libxmlsec1)
    monkeypatch.setattr(dsig_value, "dsig_recompute", own)
    return Checks(libxmlsec1, own)


def xml_parses(monkeypatch: Any) -> Counting:
    """Counts every lxml parse of a message (samlkit.safexml)."""
    from lxml import etree

    from samlkit import safexml

    counting = Counting(etree, "fromstring")
    monkeypatch.setattr(safexml, "etree", counting)
    return counting
