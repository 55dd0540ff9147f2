"""The attack and fault scenario catalogue: one module per family, one documented builder per scenario.

`CATALOGUE` lists every scenario in a stable order; `BASELINE` is the legitimate message a
safe SP must accept (the battery runs it first, to prove it can tell acceptance apart).
`harness.core.battery` runs them against an SP.
"""

from __future__ import annotations

from mock_idp.scenarios import (
    addressing,
    algorithms,
    binding,
    encryption,
    foreign_key,
    injection,
    malformed,
    references,
    relay,
    signature_removal,
    status,
    tampering,
    timing,
    wrapping,
    xml_attacks,
)
from mock_idp.scenarios.base import BASELINE, Context, Message, Scenario

FAMILIES = [
    signature_removal,
    tampering,
    foreign_key,
    wrapping,
    injection,
    xml_attacks,
    references,
    timing,
    addressing,
    binding,
    algorithms,
    status,
    malformed,
    relay,
    encryption,
]

CATALOGUE: list[Scenario] = [s for family in FAMILIES for s in family.SCENARIOS]

_names = [s.name for s in CATALOGUE]
if len(set(_names)) != len(_names):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("two scenarios share a name")


def by_name(name: str) -> Scenario | None:
    return next((s for s in CATALOGUE if s.name == name), None)


__all__ = ["BASELINE", "CATALOGUE", "Context", "Message", "Scenario", "by_name"]
