"""samlkit.dsig_recompute: the standalone copies its canonicalisations work on."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from samlkit import dsig_recompute, ns, safexml

REALWORLD = Path(__file__).resolve().parents[2] / "data" / "realworld"


@pytest.mark.parametrize("name", ["adfs_response_sha256.xml", "inclusive_namespaces.xml"])
def test_a_plain_copy_gives_exclusive_c14n_what_the_rebuilt_root_gives(name: str) -> None:
    """Exclusive c14n without a PrefixList takes the bare deep copy; a copy that also declares
    every namespace in scope (an unused prefix forces it) canonicalises to the same octets."""
    root = safexml.parse((REALWORLD / name).read_bytes())
    exc = dsig_recompute.C14n(ns.C14N_EXC)
    for element in root.iter(ns.q(ns.SAML, "Assertion"), ns.q(ns.DS, "SignedInfo")):
        plain = dsig_recompute.standalone(element, inclusive=False)
        rebuilt = dsig_recompute.standalone(element, inclusive=False, prefixes=["unused"])
        assert plain.getparent() is None and plain is not element
        assert exc.apply(plain) == exc.apply(rebuilt)
        assert exc.apply(plain) == etree.tostring(element, method="c14n", exclusive=True)
