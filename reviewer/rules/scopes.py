"""Vale scope selectors: `heading`, `text.heading.h1`, `sentence`, `~heading`, `a & b`."""

from __future__ import annotations

from functools import lru_cache


class Scope:
    """A rule's `scope` list; a block matches when any alternative matches."""

    def __init__(self, values: list[str]) -> None:
        self.values = values
        self.options = []
        for value in values:
            parts = []
            for part in value.split("&"):
                part = part.strip()
                negated = part.startswith("~")
                parts.append((negated, frozenset(part.lstrip("~").split("."))))
            self.options.append(parts)

    def matches(self, block_scope: str) -> bool:
        """True when the rule applies to a block with this (dotted) scope."""
        return _matches(self, block_scope)

    def __hash__(self) -> int:
        return hash(tuple(self.values))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scope) and other.values == self.values


@lru_cache(maxsize=4096)
def _matches(scope: Scope, block_scope: str) -> bool:
    sections = set(block_scope.split("."))
    sized = "raw" in sections or "summary" in sections
    for parts in scope.options:
        ok = True
        for negated, needed in parts:
            present = needed <= sections
            if negated:
                # A negated scope never applies to the whole-document scopes.
                if present or sized:
                    ok = False
            elif not present:
                ok = False
        if ok:
            return True
    return False
