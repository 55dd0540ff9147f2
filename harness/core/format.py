"""Plain-text rendering of trace steps for the command line."""

from __future__ import annotations

from harness.core.inspect_message import format_message
from harness.core.terminal import field
from harness.core.trace import Step

ACTORS = {"browser": "Browser", "sp": "SP", "idp": "IdP"}

MARK = {True: "✔", False: "✘", None: "–"}


def format_step(step: Step, *, xml: bool = False, shown: set[str] | None = None) -> str:
    """`shown`: raw messages already printed; a message seen again (as the SP receives what the
    IdP sent) is named, not repeated."""
    verdict = {"ok": "✔", "refused": "✘ REFUSED", "error": "✘ ERROR"}.get(step.verdict, "")
    src, dst = (field(ACTORS.get(a, a)) for a in (step.src, step.dst))
    head = f"{step.index:>2}. {src} → {dst}  {field(step.label)}"
    head += f"  [{field(step.status)}]" + (f"  {verdict}" if verdict else "")
    lines = [head]
    if step.code and step.verdict != "ok":
        lines.append(f"      reason: {field(step.code)} — {field(step.reason)}")
    if step.message is not None and shown is not None and step.message.raw in shown:
        lines.append(f"      the same {step.message.summary.kind or 'message'} as above")
    elif step.message is not None:
        if shown is not None:
            shown.add(step.message.raw)
        body = format_message(step.message, xml=xml)
        lines.extend("      " + ln for ln in body.splitlines())
    for c in step.checks:
        lines.append(f"      {MARK.get(c.ok, '?')} {field(c.name)}: {field(c.detail)}")
    if step.verdict == "ok" and step.reason:
        lines.append(f"      → {field(step.reason)}")
    return "\n".join(lines)
