"""Recorder plain-text transcripts (Otter, Fireflies, Teams/Zoom "save transcript"): a speaker line
with a timestamp, the words on the lines after it.

    Jane Doe  0:03                   [00:01:12] Jane Doe:
    Thanks for making the time.      Thanks for making the time.

Such a file becomes a note with one `Name: words` line per turn (like VTT), each turn's start time
kept in the note's timeline. Sides come from participants (front matter or a `.meta.yaml`
sidecar, by e-mail domain), the rep/contact fields, role words, or the two-party rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewer.ingest.fields import build_note
from reviewer.ingest.participants import parse_participants
from reviewer.ingest.timeline import TIMELINE_KEY, Entry, encode
from reviewer.ingest.turns import set_turn_roles
from reviewer.models import CallNote, Turn
from reviewer.settings import Settings

_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# `Jane Doe  0:03` (Otter, Teams) or `Jane Doe (00:03)`: the whole line is a name and a time.
_NAME_THEN_TIME = re.compile(rf"^(?P<name>[^\W\d_][^\n:\[\]]{{0,60}}?)[ \t]+\(?(?P<time>{_TIME})\)?[ \t]*$")
# `[00:01:12] Jane Doe:` or `00:01:12 Jane Doe:` with the words below (or after the colon).
_TIME_THEN_NAME = re.compile(
    rf"^\[?(?P<time>{_TIME})\]?[ \t]+(?P<name>[^\W\d_][^\n:\[\]]{{0,60}}?)[ \t]*:[ \t]*(?P<rest>.*)$"
)
_MIN_SPEAKER_LINES = 2


def recorder_segments(text: str) -> list[tuple[str, int, str]] | None:
    """(speaker, start ms, words) of each turn, or None when the text is not in this shape (fewer
    than two speaker lines, or words before the first one)."""
    segments: list[tuple[str, int, list[str]]] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        match = _NAME_THEN_TIME.match(stripped) or _TIME_THEN_NAME.match(stripped)
        if match:
            rest = match.groupdict().get("rest") or ""
            segments.append((match["name"].strip(), _milliseconds(match["time"]), [rest] if rest else []))
        elif segments:
            segments[-1][2].append(stripped)
        else:
            return None
    if len(segments) < _MIN_SPEAKER_LINES:
        return None
    return [(name, start, " ".join(words)) for name, start, words in segments if words]


def read_recorder_text(
    path: Path,
    segments: list[tuple[str, int, str]],
    known: dict[str, str],
    metadata: dict[str, str],
    record: dict[str, object],
    settings: Settings,
) -> CallNote:
    """The note of a recorder transcript, from its segments and its fields."""
    participants = parse_participants(record.get("participants"))
    metadata = {k: v for k, v in metadata.items() if k != "participants"}
    lines: list[str] = []
    turns: list[Turn] = []
    timeline: list[Entry] = []
    offset = 0
    for index, (speaker, start_ms, words) in enumerate(segments):
        start = offset + len(speaker) + 2
        end = start + len(words)
        next_ms = segments[index + 1][1] if index + 1 < len(segments) else start_ms
        turns.append(Turn(speaker=speaker, role="unknown", text=words, start=start, end=end))
        timeline.append((start, end, start_ms, max(start_ms, next_ms)))
        lines.append(f"{speaker}: {words}")
        offset = end + 1
    set_turn_roles(turns, known, participants, settings)
    return build_note(
        known=known,
        metadata={**metadata, TIMELINE_KEY: encode(timeline)},
        text="\n".join(lines),
        source="recorder-txt",
        path=path,
        default_id=path.stem,
        settings=settings,
        turns=turns,
        participants=participants,
    )


def _milliseconds(stamp: str) -> int:
    whole, _, fraction = stamp.replace(",", ".").partition(".")
    seconds = 0
    for part in whole.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds * 1000 + (int(fraction.ljust(3, "0")[:3]) if fraction else 0)
