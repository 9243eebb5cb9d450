"""A small rule-based sentence splitter (English and German abbreviations)."""

from __future__ import annotations

import re

from reviewer.text import ABBREVIATIONS

# End punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"[\w.]*$")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]*[\w$€£]", re.UNICODE)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in text, whitespace trimmed."""
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        nxt = _NEXT_START.match(text, end)
        if nxt is None:
            continue
        first = text[nxt.end() - 1]
        if not (first.isupper() or first.isdigit() or first in "$€£"):
            continue
        if m.group()[0] == "." and _is_abbreviation(text, m.start()):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return [t for t in (_trim(text, s, e) for s, e in spans) if t[1] > t[0]]


def _is_abbreviation(text: str, dot: int) -> bool:
    # Only the word before the full stop matters: a bounded window keeps long texts linear.
    word = _WORD_BEFORE.search(text, max(0, dot - 64), dot)
    token = word.group().lower() if word else ""
    if not token:
        return False
    if token in ABBREVIATIONS:
        return True
    # Initials such as "J." or "N.B.A" read as abbreviations.
    return len(token) == 1 and token.isalpha() or bool(re.fullmatch(r"(?:\w\.)+\w", token))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
