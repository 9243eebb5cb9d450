"""A small rule-based sentence splitter (English and German abbreviations)."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "inc",
    "ltd",
    "co",
    "corp",
    "jr",
    "sr",
    "st",
    "no",
    "fig",
    "approx",
    "cf",
    "al",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "a.m",
    "p.m",
    "z.b",
    "d.h",
    "bzw",
    "ca",
    "usw",
    "ggf",
    "inkl",
    "evtl",
    "vgl",
    "u.a",
    "nr",
    "bspw",
    "sog",
    "max",
    "min",
}
# End punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
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
    word = re.search(r"[\w.]*$", text[:dot])
    token = word.group().lower() if word else ""
    if not token:
        return False
    if token in _ABBREVIATIONS:
        return True
    # Initials such as "J." or "N.B.A" read as abbreviations.
    return len(token) == 1 and token.isalpha() or bool(re.fullmatch(r"(?:\w\.)+\w", token))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
