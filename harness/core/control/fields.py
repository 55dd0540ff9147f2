"""Dataclass fields from untrusted JSON: each value checked against its annotation, unknown names refused.

The control API takes users and per-SP settings as JSON objects; a wrong type must be a 400
naming the field, never a half-saved workspace or a 500 later when the IdP reads the value.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from harness.core.control.errors import bad

_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float)}


def _ok(annotation: str, value: Any) -> bool:
    options = [a.strip() for a in annotation.split("|")]
    if "None" in options and value is None:
        return True
    for a in options:
        if a in _SCALARS and isinstance(value, _SCALARS[a]) and not (a != "bool" and isinstance(value, bool)):
            return True
        if a == "list[str]" and isinstance(value, list) and all(isinstance(x, str) for x in value):
            return True
        if a == "dict[str, str]" and isinstance(value, dict):
            return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return False


def checked_fields(cls: type, data: Any, *, fixed: tuple[str, ...] = (), what: str = "") -> dict[str, Any]:
    """The names and values of `data` (a JSON object) that are fields of `cls`, each of the right type.

    `fixed` names fields that cannot be set this way (the key in the URL, say).
    """
    if not isinstance(data, dict):
        raise bad(f"{what or cls.__name__} must be a JSON object")
    known = {f.name: str(f.type) for f in fields(cls)}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known or name in fixed:
            raise bad(
                f"{what or cls.__name__} has no field {name!r} (fields: {', '.join(sorted(known))})", "unknown-field"
            )
        if not _ok(known[name], value):
            raise bad(f"{name} must be {known[name]}, not {type(value).__name__}", "invalid-field")
        out[name] = value
    return out
