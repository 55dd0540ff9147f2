"""A trace file is hostile: check every field's type and size before anything renders it.

A trace saved by someone else (or edited by hand) reaches the app and the HTML report. Each
field must have the type its dataclass declares, strings and lists must stay within sizes a real
run never exceeds, and enumerated fields must hold one of their words, so no renderer meets an
`index` that is a string of markup or a `status` that is a list.
"""

from __future__ import annotations

import dataclasses
from typing import Any

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TEXT = 16 * 1024 * 1024  # a 4 MiB message, base64'd and pretty-printed, fits
MAX_ITEMS = 20_000
MAX_SECONDS = 1e11  # the only numbers with a fraction are times (epoch seconds): year 5138 at most
ENUMS = {
    ("Step", "verdict"): {"ok", "refused", "info", "error"},
    ("Step", "src"): {"browser", "sp", "idp"},
    ("Step", "dst"): {"browser", "sp", "idp"},
}


class TraceFileError(ValueError):
    """The file is not a trace this harness wrote; the message names the field."""


def check_trace(data: Any) -> None:
    from harness.core.trace import Trace

    if not isinstance(data, dict):
        raise TraceFileError("not a trace file: not a JSON object")
    if "steps" not in data:
        raise TraceFileError("not a trace file: no steps")
    _check_object(Trace, data, "trace")


def _classes() -> dict[str, type]:
    from harness.core import trace

    return {c.__name__: c for c in (trace.Check, trace.SignatureInfo, trace.MessageSummary, trace.Message, trace.Step)}


def _check_object(cls: type, data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise TraceFileError(f"{where}: expected an object, got {_kind(data)}")
    for f in dataclasses.fields(cls):
        if f.name in data:
            _check_value(str(f.type), data[f.name], f"{where}.{f.name}")
            allowed = ENUMS.get((cls.__name__, f.name))
            if allowed is not None and data[f.name] not in allowed:
                raise TraceFileError(f"{where}.{f.name}: {str(data[f.name])[:40]!r} is not one of {sorted(allowed)}")


def _check_value(annotation: str, value: Any, where: str) -> None:
    if annotation.endswith(" | None"):
        if value is not None:
            _check_value(annotation[: -len(" | None")], value, where)
        return
    if annotation.startswith("list["):
        _check_list(annotation[5:-1], value, where)
    elif annotation.startswith("dict[str, "):
        _check_dict(annotation[len("dict[str, ") : -1], value, where)
    elif annotation in _classes():
        _check_object(_classes()[annotation], value, where)
    else:
        _check_scalar(annotation, value, where)


def _check_list(item: str, value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise TraceFileError(f"{where}: expected a list, got {_kind(value)}")
    if len(value) > MAX_ITEMS:
        raise TraceFileError(f"{where}: more than {MAX_ITEMS} items")
    for i, v in enumerate(value):
        _check_value(item, v, f"{where}[{i}]")


def _check_dict(item: str, value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise TraceFileError(f"{where}: expected an object, got {_kind(value)}")
    if len(value) > MAX_ITEMS:
        raise TraceFileError(f"{where}: more than {MAX_ITEMS} entries")
    for k, v in value.items():
        _check_scalar("str", k, f"{where} (a key)")
        _check_value(item, v, f"{where}[{k[:40]!r}]")


def _check_scalar(annotation: str, value: Any, where: str) -> None:
    if annotation == "str":
        if not isinstance(value, str):
            raise TraceFileError(f"{where}: expected text, got {_kind(value)}")
        if len(value) > MAX_TEXT:
            raise TraceFileError(f"{where}: longer than {MAX_TEXT} characters")
    elif annotation == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**53) < value < 2**53:
            raise TraceFileError(f"{where}: expected a whole number, got {_kind(value)}")
    elif annotation == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) < MAX_SECONDS:
            raise TraceFileError(f"{where}: expected a time in seconds, got {_kind(value)}")
    elif annotation == "bool":
        if not isinstance(value, bool):
            raise TraceFileError(f"{where}: expected true or false, got {_kind(value)}")
    else:  # a field type this checker does not know: refuse rather than pass it unchecked
        raise TraceFileError(f"{where}: cannot check a field of type {annotation}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__
    )
