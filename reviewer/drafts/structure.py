"""Segmentation of draft text into blocks (headings, paragraphs, list items, quotes, code) and sentences.

Markdown blocks are the sections of the rules engine's markdown-it parse (reviewer.rules.markup), so
the draft view, the highlights and the brand rules read one parse of the draft."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field

from reviewer.rules.markup import Document
from reviewer.rules.markup import markdown_blocks as parse_markdown
from reviewer.text import sentence_spans

BlockKind = Literal["heading", "paragraph", "list_item", "quote", "code"]
PROSE_KINDS: frozenset[str] = frozenset({"heading", "paragraph", "list_item", "quote"})


class Block(BaseModel):
    """One structural unit of a draft, located by character offsets into `Draft.text`."""

    kind: BlockKind = Field(description="What the block is; code blocks hold no prose sentences.")
    level: int = Field(0, description="Heading level (1-6), list or quote nesting depth, else 0.")
    start: int = Field(description="Offset of the block's first character in the draft text.")
    end: int = Field(description="Offset just past the block's last character in the draft text.")
    text: str = Field(description="The draft text between start and end, verbatim.")


class Sentence(BaseModel):
    """One sentence of prose, located by character offsets into `Draft.text`."""

    start: int = Field(description="Offset of the sentence's first character in the draft text.")
    end: int = Field(description="Offset just past the sentence's last character in the draft text.")
    text: str = Field(description="The draft text between start and end, verbatim.")
    block: int = Field(description="Index of the block this sentence belongs to.")


# Real drafts have hundreds of blocks; a 10 MB file of one-character list items has millions, and
# building them would take minutes. Past these counts a draft is refused instead.
MAX_BLOCKS = 100_000
MAX_SENTENCES = 500_000
_SENTENCE_WINDOW = 20_000  # characters; no real sentence is longer


class StructureLimitError(ValueError):
    """A draft has more blocks or sentences than any real draft; the message says which limit."""


def make_block(text: str, kind: BlockKind, start: int, end: int, level: int = 0) -> Block:
    return Block(kind=kind, level=level, start=start, end=end, text=text[start:end])


def check_block_count(count: int) -> None:
    if count > MAX_BLOCKS:
        raise StructureLimitError(f"too many paragraphs (more than {MAX_BLOCKS:,})")


def prose_sentences(text: str, blocks: list[Block]) -> list[Sentence]:
    """Sentences of every prose block (never code), in document order."""
    found: list[Sentence] = []
    for index, block in enumerate(blocks):
        if block.kind not in PROSE_KINDS:
            continue
        for start, end in _block_sentence_spans(text, block):
            if block.kind == "quote":
                # A sentence that starts on a continuation line of a quote starts at its `>` marker.
                while start < end and (text[start] == ">" or text[start].isspace()):
                    start += 1
            if start < end and _WORDY.search(text, start, end):
                found.append(Sentence(start=start, end=end, text=text[start:end], block=index))
        if len(found) > MAX_SENTENCES:
            raise StructureLimitError(f"too many sentences (more than {MAX_SENTENCES:,})")
    return found


def _block_sentence_spans(text: str, block: Block) -> Iterator[tuple[int, int]]:
    """sentence_spans over a block, a window at a time, so a huge block fails fast on MAX_SENTENCES."""
    position, produced = block.start, 0
    while position < block.end:
        stop = min(block.end, position + _SENTENCE_WINDOW)
        spans = sentence_spans(text, position, stop)
        if stop < block.end and len(spans) > 1:
            spans.pop()  # the last one may be cut by the window: it starts the next window
            stop = spans[-1][1]
        yield from spans
        produced += len(spans)
        if produced > MAX_SENTENCES:
            return
        position = stop


_WORDY = re.compile(r"[^\W_]")


# --- Markdown ---------------------------------------------------------------------------------------


# Lines that open a block of their own (list items, ATX headings): a cheap floor on the block count,
# so a file of a million one-word list items is refused before markdown-it spends minutes on it.
_BLOCK_OPENER = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)]|#{1,6})(?=[ \t]|$)", re.M)


def check_markdown_size(text: str) -> None:
    """Refuse Markdown whose list items and headings alone pass MAX_BLOCKS, before it is parsed."""
    if len(text) > MAX_BLOCKS:
        check_block_count(sum(1 for _ in _BLOCK_OPENER.finditer(text)))


def markdown_blocks(text: str, document: Document | None = None) -> list[Block]:
    """Blocks of Markdown source; offsets point into the source, markers (`#`, `-`, `>`) left out."""
    document = document or parse_markdown(text)
    check_block_count(len(document.sections))
    return [
        make_block(text, section.kind, section.start, section.end, section.level)  # type: ignore[arg-type]
        for section in document.sections
    ]


# --- Plain text -------------------------------------------------------------------------------------


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


_BULLET = re.compile(r"^[ \t]*(?:[-*•–]|\d{1,3}[.)])[ \t]+")
_TERMINAL_PUNCTUATION = ".!?:;,…\"'”’)"


def _is_plain_heading(line: str, has_next: bool) -> bool:
    stripped = line.strip()
    letters = [c for c in stripped if c.isalpha()]
    if not letters or len(stripped) > 80:
        return False
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    return (
        has_next
        and len(stripped.split()) <= 10
        and stripped[-1] not in _TERMINAL_PUNCTUATION
        and (stripped[0].isupper() or stripped[0].isdigit())
    )


def plain_blocks(text: str) -> list[Block]:
    """Blocks of plain text: paragraphs split by blank lines, bullet lines as list items, short
    unpunctuated or ALL CAPS lines standing alone as headings."""
    lines = _lines(text)
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in lines:
        if text[start:end].strip():
            current.append((start, end))
        elif current:
            groups.append(current)
            current = []
            check_block_count(len(groups))
    if current:
        groups.append(current)

    def trimmed(start: int, end: int) -> tuple[int, int]:
        raw = text[start:end]
        return start + len(raw) - len(raw.lstrip()), start + len(raw.rstrip())

    blocks: list[Block] = []
    for number, group in enumerate(groups):
        check_block_count(len(blocks))
        first_line = text[group[0][0] : group[0][1]]
        if _BULLET.match(first_line):
            items: list[list[int]] = []
            for start, end in group:
                bullet = _BULLET.match(text[start:end])
                if bullet:
                    items.append([start + bullet.end(), trimmed(start, end)[1]])
                    check_block_count(len(blocks) + len(items))
                else:
                    items[-1][1] = trimmed(start, end)[1]
            blocks.extend(make_block(text, "list_item", a, b, 1) for a, b in items if a < b)
        elif len(group) == 1 and _is_plain_heading(first_line, number + 1 < len(groups)):
            blocks.append(make_block(text, "heading", *trimmed(*group[0]), level=1))
        else:
            start = trimmed(*group[0])[0]
            end = trimmed(*group[-1])[1]
            blocks.append(make_block(text, "paragraph", start, end))
    return blocks
