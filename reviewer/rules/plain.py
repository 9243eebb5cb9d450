"""Plain text, reStructuredText and AsciiDoc to prose blocks (light parsers, offsets kept)."""

from __future__ import annotations

import re

from reviewer.rules.markup import PROSE, Builder, Document, mask, mask_urls
from reviewer.rules.model import Block

_RST_UNDERLINE = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_RST_LITERAL = re.compile(r"``.+?``|`[^`]+`_{0,2}|:\w+:`[^`]+`")
_RST_DIRECTIVE = re.compile(r"^\.\. ")
_ADOC_TITLE = re.compile(r"^(=+)\s+(.*\S)\s*$")
_ADOC_FENCE = re.compile(r"^(----+|\.\.\.\.+|````*|\+\+\+\++|////+)\s*$")
_ADOC_INLINE = re.compile(r"`[^`\n]+`|\+[^+\n]+\+")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|[a-z][.)])\s+")


def text_blocks(text: str) -> Document:
    """A plain-text file is one prose block, as Vale lints .txt files."""
    return Document([mask_urls(Block(text, PROSE, [0], [0]))])


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of runs of non-blank lines."""
    spans = []
    for m in re.finditer(r"(?:^[ \t]*\S.*(?:\n|$))+", text, re.M):
        spans.append((m.start(), m.end()))
    return spans


def _block(text: str, start: int, end: int, scope: str) -> Block:
    chunk = text[start:end].rstrip("\n")
    lead = len(chunk) - len(chunk.lstrip())
    out = Builder()
    out.add(chunk[lead:], start + lead)
    return mask_urls(out.block(scope))


def rst_blocks(text: str) -> Document:
    """Prose blocks of reStructuredText: section titles, paragraphs; literals and directives masked."""
    src = _RST_LITERAL.sub(lambda m: "*" * len(m.group()), text)
    lines = src.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    # Literal blocks (after '::') and directives are code, not prose.
    in_literal, indent_of = False, 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if in_literal and stripped and len(line) - len(line.lstrip()) <= indent_of:
            in_literal = False
        if in_literal or _RST_DIRECTIVE.match(line):
            src = mask(src, offsets[i], offsets[i] + len(line))
            if _RST_DIRECTIVE.match(line):
                in_literal, indent_of = True, len(line) - len(line.lstrip())
        elif stripped.endswith("::"):
            in_literal, indent_of = True, len(line) - len(line.lstrip())
    doc = Document([])
    levels: list[str] = []
    for start, end in _paragraphs(src):
        chunk = src[start:end].rstrip("\n").split("\n")
        if len(chunk) >= 2 and _RST_UNDERLINE.match(chunk[-1]) and len(chunk[-1].strip()) >= len(chunk[-2].strip()):
            marker = chunk[-1].strip()[0]
            if marker not in levels:
                levels.append(marker)
            title_start = start + sum(len(c) + 1 for c in chunk[:-2])
            level = min(len(levels), 6)
            doc.blocks.append(_block(src, title_start, title_start + len(chunk[-2]), f"text.heading.h{level}"))
            continue
        if all(_RST_UNDERLINE.match(c) for c in chunk):
            continue
        scope = "text.list" if _LIST_MARK.match(chunk[0]) else PROSE
        doc.blocks.append(_block(src, start, end, scope))
    return doc


def adoc_blocks(text: str) -> Document:
    """Prose blocks of AsciiDoc: '=' titles, paragraphs; delimited blocks and inline code masked."""
    src = _ADOC_INLINE.sub(lambda m: "*" * len(m.group()), text)
    lines = src.split("\n")
    offset, fence = 0, None
    for line in lines:
        m = _ADOC_FENCE.match(line)
        if fence is not None:
            src = mask(src, offset, offset + len(line))
            if m and m.group(1) == fence:
                fence = None
        elif m:
            fence = m.group(1)
            src = mask(src, offset, offset + len(line))
        elif line.startswith((":", "//", "[", "include::", "image::")):
            src = mask(src, offset, offset + len(line))
        offset += len(line) + 1
    doc = Document([])
    for start, end in _paragraphs(src):
        first = src[start:end].split("\n", 1)[0]
        title = _ADOC_TITLE.match(first)
        if title:
            level = min(len(title.group(1)), 6)
            head = start + title.start(2)
            doc.blocks.append(_block(src, head, head + len(title.group(2)), f"text.heading.h{level}"))
            rest = start + len(first) + 1
            if rest < end:
                doc.blocks.append(_block(src, rest, end, PROSE))
            continue
        scope = "text.list" if _LIST_MARK.match(first) else PROSE
        doc.blocks.append(_block(src, start, end, scope))
    return doc
