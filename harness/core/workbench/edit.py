"""Edits applied to the open message's text, the same from the command line and from the app:
set structured fields, shift times, apply an attack scenario. Each returns the new text and
leaves the message untouched when it fails (the tester's text is never lost)."""

from __future__ import annotations

from harness.core.battery import foreign_keypair
from harness.core.workbench import fields
from harness.core.workbench.message import OpenMessage, WorkbenchError, parse_xml, serialize
from harness.core.workbench.signing import KEY_IDP, SigningChoice, resolve_key
from harness.core.workbench.transforms import apply_scenario, scenario_context, shift_times
from harness.core.workspace import Workspace


def parse_assignment(text: str) -> tuple[str, str]:
    """`field=value` (the value may contain '=')."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise WorkbenchError(f"--set wants field=value, not {text!r}")
    return key.strip(), value


def set_fields(message: OpenMessage, assignments: list[tuple[str, str]]) -> None:
    """Write each field (RelayState beside the XML) in one go: all or nothing."""
    root = parse_xml(message.xml)
    relay = message.relay_state
    for key, value in assignments:
        if key == fields.RELAY_STATE:
            relay = value or None
        else:
            fields.set_field(root, key, value)
    message.xml, message.relay_state = serialize(root), relay


def shift(message: OpenMessage, seconds: int) -> int:
    root = parse_xml(message.xml)
    moved = shift_times(root, seconds)
    message.xml = serialize(root)
    return moved


def scenario(message: OpenMessage, name: str, ws: Workspace, signer_key: str = KEY_IDP) -> str:
    """Bend the open message as the scenario bends the IdP's; returns a note (what else it needs)."""
    root = parse_xml(message.xml)
    signer = resolve_key(SigningChoice(key=signer_key), ws, root)
    ctx = scenario_context(ws, message.xml.encode("utf-8"), message.relay_state, signer, foreign_keypair())
    result = apply_scenario(name, ctx)
    message.xml, message.relay_state = result.xml, result.relay_state
    return result.note
