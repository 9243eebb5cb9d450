"""Sentences per side (customer, seller, unknown) of stored notes, per source format, for `stats`."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

from reviewer.ingest.timeline import sentence_times
from reviewer.models import CallNote
from reviewer.text import sentence_spans

SIDES = ("customer", "seller", "unknown")


def side_sentences(note: CallNote) -> Counter[str]:
    """Sentences of the note by side: the recorder's own sentences when it kept a timeline, else
    the sentences of each turn; text outside any turn (a rep's narrative) counts as unknown."""
    counts: Counter[str] = Counter()
    turns = sorted(note.turns, key=lambda t: t.start)
    timed = sentence_times(note)
    if timed:
        starts = [t.start for t in turns]
        for char_start, _, _, _ in timed:
            index = bisect_right(starts, char_start) - 1
            inside = index >= 0 and char_start < turns[index].end
            counts[turns[index].role if inside else "unknown"] += 1
        return counts
    cursor = 0
    for turn in turns:
        counts["unknown"] += len(sentence_spans(note.text, cursor, turn.start)) if turn.start > cursor else 0
        counts[turn.role] += len(sentence_spans(note.text, turn.start, turn.end))
        cursor = max(cursor, turn.end)
    counts["unknown"] += len(sentence_spans(note.text, cursor, len(note.text)))
    return counts


def by_format(notes: Iterable[CallNote]) -> dict[str, dict[str, Any]]:
    """Source format -> notes and sentences per side, largest format first."""
    table: dict[str, Counter[str]] = {}
    for note in notes:
        row = table.setdefault(note.source or "?", Counter())
        row["notes"] += 1
        for side, count in side_sentences(note).items():
            row[f"{side}_sentences"] += count
    ordered = sorted(table.items(), key=lambda item: (-item[1]["notes"], item[0]))
    return {
        source: {"notes": row["notes"], **{f"{side}_sentences": row[f"{side}_sentences"] for side in SIDES}}
        for source, row in ordered
    }
