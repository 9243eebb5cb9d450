"""Where in the call each sentence was said: recorder time offsets kept beside the note text.

A note read from a recorder export (Gong) carries, in `metadata["sentence_times_ms"]`, one entry per
sentence as the recorder split it: `[char_start, char_end, start_ms, end_ms]`, offsets into the
(redacted) note text, times in milliseconds from the start of the call. Redaction maps the
character offsets through its replacements, so they stay true to the stored text.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable

from reviewer.models import CallNote

# Named so that no CRM column ("Timeline: Q3 rollout") is taken for it.
TIMELINE_KEY = "sentence_times_ms"

Entry = tuple[int, int, int, int]


def encode(entries: list[Entry]) -> str:
    """The compact JSON stored in the note's metadata."""
    return json.dumps([list(e) for e in entries], separators=(",", ":"))


def decode(value: str | None) -> list[Entry]:
    """Entries from stored JSON; [] when absent or unreadable."""
    if not value:
        return []
    try:
        raw = json.loads(value)
    except ValueError:
        return []
    entries: list[Entry] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, list) and len(item) == 4 and all(isinstance(x, int) for x in item):
            entries.append((item[0], item[1], item[2], item[3]))
    return entries


def is_timeline(value: str) -> bool:
    """True when the value is a stored timeline (and not some other text under the same key)."""
    return value.startswith("[[") and bool(decode(value))


def remap(value: str, moved: Callable[[int], int]) -> str:
    """The stored timeline with its character offsets moved through a text edit."""
    return encode([(moved(a), moved(b), start, end) for a, b, start, end in decode(value)])


def sentence_times(note: CallNote) -> list[Entry]:
    """The note's timed sentences, in text order; [] for notes without recorder times."""
    return sorted(decode(note.metadata.get(TIMELINE_KEY)))


def time_at(note: CallNote, offset: int) -> int | None:
    """Milliseconds from the start of the call at which the text at `offset` was said, or None."""
    entries = sentence_times(note)
    index = bisect_right([e[0] for e in entries], offset) - 1
    if index < 0 or offset >= entries[index][1]:
        return None
    return entries[index][2]


def clock(milliseconds: int) -> str:
    """`m:ss` or `h:mm:ss`, as recorders show a position in the call."""
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
