"""Cutting a note into chunks along speaker turns, paragraphs and sentences, up to a size.

Consecutive short turns share a chunk (an objection and the reply to it are one exchange), which
also keeps the store at a few records per call instead of one per turn: writing to Chroma costs
far more per record than embedding does.
"""

from __future__ import annotations

import hashlib
import re

from reviewer.models import CallNote, Chunk, Role
from reviewer.text import sentence_spans, trim_span

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")

Span = tuple[int, int]


def chunk_note(note: CallNote, max_chars: int = 600) -> list[Chunk]:
    """Chunks whose `start`/`end` index `note.text`; long turns and paragraphs split at sentences.

    Text outside the turns (a summary before the transcript, a section after a heading) is
    chunked like a narrative note, with an unknown role.
    """
    text = note.text
    pieces: list[tuple[Span, Role, str | None]] = []
    cursor = 0
    for turn in sorted(note.turns, key=lambda t: t.start):
        gap_end = _label_line_start(text, cursor, turn.start)
        pieces += [(span, "unknown", None) for span in _narrative_spans(text, cursor, gap_end, max_chars)]
        pieces += [(span, turn.role, turn.speaker) for span in _pack(text, turn.start, turn.end, max_chars)]
        cursor = turn.end
    pieces += [(span, "unknown", None) for span in _narrative_spans(text, cursor, len(text), max_chars)]
    pieces = _exchanges(pieces, max_chars)
    chunks = []
    for index, ((start, end), role, speaker) in enumerate(pieces):
        piece = text[start:end]
        digest = hashlib.sha1(piece.encode("utf-8")).hexdigest()[:10]
        chunks.append(
            Chunk(
                chunk_id=f"{note.note_id}:{index}:{digest}",
                note_id=note.note_id,
                index=index,
                text=piece,
                role=role,
                speaker=speaker,
                start=start,
                end=end,
            )
        )
    return chunks


def _exchanges(pieces: list[tuple[Span, Role, str | None]], max_chars: int) -> list[tuple[Span, Role, str | None]]:
    """Neighbouring pieces joined while the joined text stays within max_chars.

    A joined chunk keeps a role and speaker only when all its pieces share them.
    """
    joined: list[tuple[Span, Role, str | None]] = []
    for (start, end), role, speaker in pieces:
        if joined and end - joined[-1][0][0] <= max_chars:
            (first, _), last_role, last_speaker = joined[-1]
            joined[-1] = (
                (first, end),
                last_role if last_role == role else "unknown",
                last_speaker if last_speaker == speaker else None,
            )
        else:
            joined.append(((start, end), role, speaker))
    return joined


def _label_line_start(text: str, cursor: int, turn_start: int) -> int:
    """Where the line holding the turn's speaker label begins, so the label is not narrative."""
    line_start = text.rfind("\n", cursor, turn_start) + 1
    if line_start <= cursor:
        return cursor
    if not text[line_start:turn_start].strip():
        # The label stood alone on the line before the turn's text.
        line_start = text.rfind("\n", cursor, line_start - 1) + 1
        if line_start <= cursor:
            return cursor
    return line_start


def _narrative_spans(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    """Paragraphs packed together up to max_chars; a longer paragraph is cut at sentences."""
    if start >= end or text[start:end].isspace():
        return []
    spans: list[Span] = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans += _pack(text, cursor, match.start(), max_chars)
        cursor = match.end()
    spans += _pack(text, cursor, end, max_chars)
    return _merge(spans, max_chars)


def _pack(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    """The trimmed span if it fits, else its sentences packed up to max_chars."""
    start, end = trim_span(text, start, end)
    if start >= end:
        return []
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[Span] = []
    for a, b in sentence_spans(text, start, end):
        if b - a <= max_chars:
            pieces.append((a, b))
        else:
            pieces += _hard_split(text, a, b, max_chars)
    return _merge(pieces, max_chars)


def _merge(spans: list[Span], max_chars: int) -> list[Span]:
    """Neighbouring spans joined while the joined span stays within max_chars."""
    merged: list[Span] = []
    for a, b in spans:
        if merged and b - merged[-1][0] <= max_chars:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    """A sentence longer than max_chars, cut at the last whitespace before each limit."""
    pieces: list[Span] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:
            cut = start + max_chars
        a, b = trim_span(text, start, cut)
        if a < b:
            pieces.append((a, b))
        start, _ = trim_span(text, cut, end)
    a, b = trim_span(text, start, end)
    if a < b:
        pieces.append((a, b))
    return pieces
