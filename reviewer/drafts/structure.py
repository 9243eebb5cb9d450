"""Segmentation of draft text into blocks (headings, paragraphs, list items, quotes, code) and sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field

from reviewer.text import front_matter, sentence_spans

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

_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}>")
_QUOTE_MARKERS = re.compile(r"(?:[ \t]*>[ \t]?)+")
_LIST_ITEM = re.compile(r"^([ \t]*)([-+*]|\d{1,9}[.)])(?:[ \t]+|$)")
_TABLE_ROW = re.compile(r"^ {0,3}\|")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _indent(line: str) -> int:
    prefix = line[: len(line) - len(line.lstrip(" \t"))]
    return len(prefix.expandtabs(4))


def _front_matter_end(text: str, lines: list[tuple[int, int]]) -> int:
    """Index of the first line after the front matter, or 0 when there is none."""
    found = front_matter(text)
    return 0 if found is None else sum(1 for start, _ in lines if start < found.end)


class _MarkdownSegmenter:
    """A light, line-based Markdown block pass: enough structure to place findings, not a renderer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.blocks: list[Block] = []
        # The open paragraph-like block: kind, level, content start, content end.
        self.open: tuple[BlockKind, int, int, int] | None = None
        # (marker indent, content indent) of the list items enclosing the current line.
        self.list_stack: list[tuple[int, int]] = []
        self.after_blank = False

    def line(self, index: int) -> str:
        start, end = self.lines[index]
        return self.text[start:end]

    def flush(self) -> None:
        if self.open is not None:
            kind, level, start, end = self.open
            self.blocks.append(make_block(self.text, kind, start, end, level))
            self.open = None
            check_block_count(len(self.blocks))

    def add(self, kind: BlockKind, start: int, end: int, level: int = 0) -> None:
        self.flush()
        if start < end:
            self.blocks.append(make_block(self.text, kind, start, end, level))
            check_block_count(len(self.blocks))

    def content_span(self, index: int, skip: int = 0) -> tuple[int, int]:
        """Offsets of a line's text after `skip` characters, without surrounding whitespace."""
        start, end = self.lines[index]
        raw = self.text[start + skip : end]
        lead = len(raw) - len(raw.lstrip())
        return start + skip + lead, start + skip + len(raw.rstrip())

    def start_paragraph(self, kind: BlockKind, level: int, start: int, end: int) -> None:
        self.flush()
        if start < end:
            self.open = (kind, level, start, end)

    def run(self) -> list[Block]:
        index = _front_matter_end(self.text, self.lines)
        while index < len(self.lines):
            index = self.step(index)
        self.flush()
        return self.blocks

    def step(self, index: int) -> int:
        line = self.line(index)
        if not line.strip():
            self.flush()
            self.after_blank = True
            return index + 1
        blank_before, self.after_blank = self.after_blank, False
        if line[0].isalpha():  # cannot open any other construct: the common case, kept fast
            start, end = self.lines[index][0], self.lines[index][0] + len(line.rstrip())
            if self.open is not None:
                self.open = (self.open[0], self.open[1], self.open[2], end)
            else:
                self.list_stack = []
                self.start_paragraph("paragraph", 0, start, end)
            return index + 1
        indent = _indent(line)
        in_list = bool(self.list_stack)

        fence = _FENCE.match(line)
        if fence and (indent <= 3 or in_list):
            return self.fenced_code(index, fence.group(2))
        if indent >= 4 and self.open is None and not in_list:
            return self.indented_code(index)
        if (heading := _ATX.match(line)) and indent <= 3:
            start = self.lines[index][0]
            self.add("heading", start + heading.start(2), start + heading.end(2), len(heading.group(1)))
            self.list_stack = []
            return index + 1
        if self.open is not None and self.open[0] == "paragraph" and _SETEXT.match(line):
            _, _, start, end = self.open
            self.open = ("heading", 1 if line.strip()[0] == "=" else 2, start, end)
            self.flush()
            return index + 1
        if _THEMATIC.match(line):
            self.flush()
            self.list_stack = []
            return index + 1
        if _QUOTE.match(line):
            return self.quote_line(index)
        item = _LIST_ITEM.match(line)
        if item and (indent <= 3 or in_list):
            return self.list_item(index, item)
        if _TABLE_ROW.match(line):
            self.flush()
            if not _TABLE_RULE.match(line):
                self.add("paragraph", *self.table_row_span(index))
            return index + 1
        if line.lstrip().startswith("<!--"):
            return self.html_comment(index)
        if self.open is None and _LINK_DEF.match(line):
            return index + 1

        start, end = self.content_span(index)
        if self.open is not None:  # continuation (lazy continuation for quotes and list items too)
            kind, level, first, _ = self.open
            self.open = (kind, level, first, end)
        elif in_list and blank_before and indent >= self.list_stack[-1][1]:
            self.start_paragraph("list_item", len(self.list_stack), start, end)
        else:
            self.list_stack = []
            self.start_paragraph("paragraph", 0, start, end)
        return index + 1

    def fenced_code(self, index: int, marker: str) -> int:
        self.flush()
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        last = index + 1
        while last < len(self.lines) and not closing.match(self.line(last)):
            last += 1
        if last == len(self.lines):  # unclosed: the code runs to the last non-blank line
            last -= 1
            while last > index and not self.line(last).strip():
                last -= 1
        start, _ = self.content_span(index)
        self.add("code", start, self.lines[last][1])
        return last + 1

    def indented_code(self, index: int) -> int:
        last = index
        probe = index + 1
        while probe < len(self.lines):
            text = self.line(probe)
            if text.strip() and _indent(text) < 4:
                break
            if text.strip():
                last = probe
            probe += 1
        start, _ = self.content_span(index)
        self.add("code", start, self.content_span(last)[1])
        return last + 1

    def quote_line(self, index: int) -> int:
        line = self.line(index)
        markers = _QUOTE_MARKERS.match(line)
        assert markers is not None  # _QUOTE matched
        depth = markers.group().count(">")
        start, end = self.content_span(index, markers.end())
        self.list_stack = []
        if start >= end:  # a bare `>` separates paragraphs inside the quote
            self.flush()
        elif self.open is not None and self.open[0] == "quote" and self.open[1] == depth:
            self.open = ("quote", depth, self.open[2], end)
        else:
            self.start_paragraph("quote", depth, start, end)
        return index + 1

    def list_item(self, index: int, item: re.Match[str]) -> int:
        marker_indent = _indent(item.group(1))
        marker = item.group()
        content_indent = len(marker.expandtabs(4)) if marker[-1:].isspace() else marker_indent + 2
        while self.list_stack and marker_indent < self.list_stack[-1][1]:
            self.list_stack.pop()
        self.list_stack.append((marker_indent, content_indent))
        start, end = self.content_span(index, item.end())
        self.start_paragraph("list_item", len(self.list_stack), start, end)
        return index + 1

    def table_row_span(self, index: int) -> tuple[int, int]:
        """The cells of a table row, without the outer pipes."""
        start, end = self.content_span(index)
        start += 1  # the leading pipe
        if end - 1 > start and self.text[end - 1] == "|":
            end -= 1
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return start, end

    def html_comment(self, index: int) -> int:
        self.flush()
        last = index
        while last < len(self.lines) - 1 and "-->" not in self.line(last):
            last += 1
        return last + 1


def markdown_blocks(text: str) -> list[Block]:
    """Blocks of Markdown source; offsets point into the source, markers (`#`, `-`, `>`) left out."""
    return _MarkdownSegmenter(text).run()


# --- Plain text -------------------------------------------------------------------------------------

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
