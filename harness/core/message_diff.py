"""What an attacker changed: a unified diff of a bad SAML message against the legitimate one, and
the same change in plain words ("the Assertion's ds:Signature was removed").

Both messages are pretty-printed the same way first (`harness.core.decode.pretty_xml`); a message
the safe parser refuses (a DOCTYPE, entities) is shown from a parse that never expands entities nor
loads anything, and one that is not even well-formed is shown as sent, split at its tags
(`message_render`); the words come from `message_changes`. No Qt here: the battery view and
`saml-harness battery --diff` both use it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from harness.core.message_changes import describe_changes
from harness.core.message_render import AS_SENT, MAX_XML_BYTES, PRETTY, as_bytes, parse_leniently, render, split_at_tags

__all__ = [
    "ADDED",
    "AS_SENT",
    "CONTEXT",
    "HEADER",
    "HUNK",
    "MAX_XML_BYTES",
    "PRETTY",
    "REMOVED",
    "DiffLine",
    "MessageDiff",
    "describe_changes",
    "diff_messages",
    "parse_leniently",
    "render",
]

MAX_CHANGES_IN_SUMMARY = 3

ADDED, REMOVED, CONTEXT, HUNK, HEADER = "+", "-", " ", "@@", "header"


@dataclass
class DiffLine:
    kind: str  # "+" | "-" | " " | "@@" | "header"
    text: str  # the whole line, marker included


@dataclass
class MessageDiff:
    lines: list[DiffLine] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)  # plain words, most telling first
    notes: list[str] = field(default_factory=list)  # how the messages were read, when not plainly

    @property
    def identical(self) -> bool:
        return not self.added and not self.removed

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def summary(self) -> str:
        """One line: how many lines changed and what, e.g. "21 lines removed, 1 added: …"."""
        if self.identical:
            return (
                "No change: the message reads exactly as the legitimate one (the attack, if any, is in how or "
                "when it is sent)."
            )
        head = f"{_n(self.removed, 'line')} removed, {self.added} added"
        if not self.changes:
            return head + "."
        shown = self.changes[:MAX_CHANGES_IN_SUMMARY]
        more = len(self.changes) - len(shown)
        return head + ": " + "; ".join(shown) + (f"; and {_n(more, 'more change')}" if more else "") + "."

    def to_dict(self) -> dict:
        return {
            "summary": self.summary,
            "added": self.added,
            "removed": self.removed,
            "changes": self.changes,
            "notes": self.notes,
            "unified": self.text,
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- the diff ---------------------------------------------------------------------------------------


def diff_messages(
    legitimate: str | bytes,
    bad: str | bytes,
    *,
    context: int = 3,
    names: tuple[str, str] = ("legitimate", "bad"),
) -> MessageDiff:
    """A unified diff of `bad` against `legitimate` and what changed in words.

    Both are pretty-printed the same way; when either cannot be (it is not well-formed), both are
    shown as sent, one tag a line, so that the diff still lines up.
    """
    (old, old_how, old_note), (new, new_how, new_note) = render(legitimate), render(bad)
    if AS_SENT in (old_how, new_how):
        if old_how != AS_SENT:
            old = split_at_tags(as_bytes(legitimate))
        if new_how != AS_SENT:
            new = split_at_tags(as_bytes(bad))
    out = MessageDiff()
    for name, note in zip(names, (old_note, new_note), strict=True):
        if note:
            out.notes.append(f"the {name} message: {note}")
    unified = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=names[0], tofile=names[1], n=context, lineterm=""
    )
    for i, line in enumerate(unified):
        if i < 2:  # --- and +++
            out.lines.append(DiffLine(HEADER, line))
        elif line.startswith("@@"):
            out.lines.append(DiffLine(HUNK, line))
        elif line.startswith("+"):
            out.lines.append(DiffLine(ADDED, line))
            out.added += 1
        elif line.startswith("-"):
            out.lines.append(DiffLine(REMOVED, line))
            out.removed += 1
        else:
            out.lines.append(DiffLine(CONTEXT, line))
    if not out.identical:
        out.changes = describe_changes(legitimate, bad)
    return out
