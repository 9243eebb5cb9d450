"""Shared rule-engine types: a text block, a rule hit, message formatting and actions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import regex

LEVELS = {"suggestion": 0, "warning": 1, "error": 2}


@dataclass
class Block:
    """Prose cut out of a document, with a piecewise map from its characters back to the source."""

    text: str
    scope: str
    starts: list[int] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)

    def origin(self, i: int) -> int:
        """Source offset of block character i (i may be len(text) for an end offset)."""
        if not self.starts:
            return i
        k = bisect_right(self.starts, i) - 1
        if k < 0:
            return self.origins[0]
        return self.origins[k] + (i - self.starts[k])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source [start, end) of a block range; the end follows the last character."""
        if end <= start:
            s = self.origin(start)
            return s, s
        return self.origin(start), self.origin(end - 1) + 1

    def sub(self, start: int, end: int, scope: str) -> Block:
        """A block for text[start:end] that keeps the map to the source."""
        return (
            Block(self.text[start:end], scope, [0], [self.origin(start)])
            if self._simple(start, end)
            else self._slice(start, end, scope)
        )

    def _simple(self, start: int, end: int) -> bool:
        # One map piece covers the whole range: a single offset is enough.
        if not self.starts:
            return True
        return bisect_right(self.starts, start) == bisect_right(self.starts, max(start, end - 1))

    def _slice(self, start: int, end: int, scope: str) -> Block:
        k = bisect_right(self.starts, start) - 1
        starts, origins = [0], [self.origin(start)]
        for j in range(k + 1, len(self.starts)):
            if self.starts[j] >= end:
                break
            starts.append(self.starts[j] - start)
            origins.append(self.origins[j])
        return Block(self.text[start:end], scope, starts, origins)


@dataclass
class Hit:
    """One rule violation inside a block (start == end == -1 means the whole document)."""

    start: int
    end: int
    message: str
    suggestion: str | None = None


@dataclass
class FileState:
    """Per-document memory shared by a rule across blocks (consistency, conditional)."""

    sequences: dict[str, set[str]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def seen(self, rule: str) -> set[str]:
        return self.sequences.setdefault(rule, set())


_SPEC = regex.compile(r"%%|%[sd]")


def format_message(template: str, *subs: object) -> str:
    """Fill %s/%d placeholders in order, like Vale's CondSprintf (missing ones become empty)."""
    values = iter(subs)

    def fill(m: regex.Match) -> str:
        if m.group() == "%%":
            return "%"
        return str(next(values, ""))

    return _SPEC.sub(fill, template).strip()


def to_sentence(options: list[str], conj: str = "or") -> str:
    """'a', 'a' or 'b', 'a', 'b', or 'c' -- Vale's quoted list of suggestions."""
    quoted = [f"'{o}'" for o in options]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} {conj} {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", {conj} " + quoted[-1]


def apply_action(action: dict, match: str, groups: tuple[str, ...] = ()) -> list[str]:
    """Suggested replacements for a match according to a rule's `action`."""
    name = (action or {}).get("name") or ""
    params = [str(p) for p in (action or {}).get("params") or []]
    if name == "replace":
        return [_expand(p, groups) for p in params]
    if name == "remove":
        return [""]
    if name == "edit" and params:
        return [_edit(params, match)]
    return []


def _expand(template: str, groups: tuple[str, ...]) -> str:
    for i, g in enumerate(groups, start=1):
        template = template.replace(f"${i}", g or "")
    return template


def _edit(params: list[str], match: str) -> str:
    op, args = params[0], params[1:]
    if op == "truncate" and args:
        return match.split(args[0])[0]
    if op == "trim_right":
        return match.rstrip(args[0] if args else None)
    if op == "trim_left":
        return match.lstrip(args[0] if args else None)
    if op == "trim":
        return match.strip(args[0] if args else None)
    if op == "regex" and len(args) >= 2:
        try:
            return regex.sub(args[0], args[1].replace("$", "\\"), match)
        except (regex.error, IndexError):
            return match
    if op == "split" and len(args) >= 2:
        parts = match.split(args[0])
        index = int(args[1]) if args[1].lstrip("-").isdigit() else 0
        return parts[index] if -len(parts) <= index < len(parts) else match
    return match
