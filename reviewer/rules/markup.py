"""Markdown and HTML to prose blocks (headings, paragraphs, lists, tables) mapped back to the source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from reviewer.rules.model import Block
from reviewer.text import front_matter, trim_span

# Prose paragraphs get this scope; the engine splits them into paragraph/sentence/text blocks.
PROSE = "txt"
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")
_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


@dataclass(frozen=True)
class Section:
    """One structural unit of a Markdown document as the reader sees it, by verbatim source span."""

    kind: str  # heading, paragraph, list_item, quote or code
    level: int  # heading level, list or quote nesting depth, else 0
    start: int
    end: int


@dataclass
class Document:
    """A document cut into blocks, plus the counts metric rules read.

    For Markdown, `sections` are the same parse's headings, paragraphs, list items, quotes, table rows
    and code: the draft model's blocks, so a draft is parsed once for the draft view and the rules."""

    blocks: list[Block]
    metrics: dict[str, float] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)


class Builder:
    """Accumulates block text piece by piece with each piece's source offset."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.origins: list[int] = []
        self.length = 0

    def add(self, s: str, origin: int) -> None:
        if not s:
            return
        contiguous = self.starts and self.origins[-1] + (self.length - self.starts[-1]) == origin
        if not contiguous:
            self.starts.append(self.length)
            self.origins.append(origin)
        self.parts.append(s)
        self.length += len(s)

    def block(self, scope: str) -> Block:
        return Block("".join(self.parts), scope, self.starts, self.origins)


def mask(text: str, start: int, end: int, char: str = " ") -> str:
    """text with [start, end) replaced by char, newlines kept so lines still line up."""
    middle = "".join(c if c == "\n" else char for c in text[start:end])
    return text[:start] + middle + text[end:]


def mask_urls(block: Block) -> Block:
    """URLs are not prose: replace them with '*' in place (offsets unchanged)."""
    if "://" not in block.text and "www." not in block.text:
        return block
    text = _URL.sub(lambda m: "*" * len(m.group()), block.text)
    return Block(text, block.scope, block.starts, block.origins)


def strip_front_matter(text: str) -> str:
    """Blank out YAML/TOML front matter, keeping offsets and line numbers."""
    found = front_matter(text)
    return mask(text, 0, found.end) if found else text


def markdown_blocks(text: str) -> Document:
    """Prose blocks of a Markdown document."""
    src = strip_front_matter(text)
    # Lines as markdown-it counts them: a lone CR (old Mac files) ends a line too.
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n?|\n", src)]
    doc = Document([])
    context: list[str] = []
    pending_scope = PROSE
    for token in _MD.parse(src):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            doc.metrics["list"] = doc.metrics.get("list", 0) + 1
        if kind.endswith("_open") and kind[:-5] in ("list_item", "blockquote", "th", "td"):
            context.append(kind[:-5])
        elif kind.endswith("_close") and kind[:-6] in ("list_item", "blockquote", "th", "td"):
            context.pop()
        if kind == "heading_open":
            pending_scope = f"text.heading.{token.tag}"
            key = f"heading_{token.tag}"
            doc.metrics[key] = doc.metrics.get(key, 0) + 1
        elif kind == "paragraph_open":
            pending_scope = _context_scope(context)
        elif kind in ("th_open", "td_open"):
            pending_scope = "text.table.header" if kind == "th_open" else "text.table.cell"
        elif kind == "tr_open" and token.map:
            _add_section(doc, "paragraph", 0, *_table_row(src, line_starts, token.map[0]))
        elif kind in ("fence", "code_block"):
            doc.metrics["pre"] = doc.metrics.get("pre", 0) + 1
            if token.map:
                _add_section(doc, "code", 0, *_line_span(src, line_starts, *token.map))
        elif kind == "inline" and token.map:
            begin = line_starts[token.map[0]]
            end = line_starts[token.map[1]] if token.map[1] < len(line_starts) else len(src)
            if "th" not in context and "td" not in context:
                section, level = _section_kind(pending_scope, context)
                _add_section(doc, section, level, *_content_span(src, token.content, begin, end))
            _inline_blocks(src, token.children or [], begin, end, pending_scope, doc)
            pending_scope = _context_scope(context)
    return doc


def _section_kind(scope: str, context: list[str]) -> tuple[str, int]:
    """The reader's kind and nesting level of an inline run: its heading, or its innermost container."""
    if scope.startswith("text.heading.h"):
        return "heading", int(scope[-1])
    for name in reversed(context):
        if name in ("list_item", "blockquote"):
            return ("list_item" if name == "list_item" else "quote"), context.count(name)
    return "paragraph", 0


def _add_section(doc: Document, kind: str, level: int, start: int, end: int) -> None:
    if start < end:
        doc.sections.append(Section(kind, level, start, end))


def _content_span(src: str, content: str, begin: int, end: int) -> tuple[int, int]:
    """Source span of an inline run: its first line to its last, container markers before it left out."""
    lines = content.strip().split("\n")
    first = src.find(lines[0].strip(), begin, end) if lines[0].strip() else -1
    last = src.rfind(lines[-1].strip(), max(first, begin), end) if lines[-1].strip() else -1
    if first < 0 or last < 0:
        return trim_span(src, begin, end)
    return trim_span(src, first, last + len(lines[-1].strip()))


def _line_span(src: str, line_starts: list[int], first: int, stop: int) -> tuple[int, int]:
    """Source span of lines [first, stop), surrounding whitespace left out."""
    end = line_starts[stop] if stop < len(line_starts) else len(src)
    return trim_span(src, line_starts[first], end)


def _table_row(src: str, line_starts: list[int], line: int) -> tuple[int, int]:
    """The cells of a table row, without the outer pipes."""
    start, end = _line_span(src, line_starts, line, line + 1)
    if start < end and src[start] == "|":
        start += 1
    if end - 1 > start and src[end - 1] == "|" and src[end - 2] != "\\":
        end -= 1
    return trim_span(src, start, end)


def _context_scope(context: list[str]) -> str:
    for name in context:
        if name == "list_item":
            return "text.list"
        if name == "blockquote":
            return "text.blockquote"
    return PROSE


def _inline_blocks(src: str, children: list, begin: int, end: int, scope: str, doc: Document) -> None:
    """Align markdown-it inline tokens with the source and emit the block (and image alt texts)."""
    out = Builder()
    cursor = begin
    mask_next = False
    for child in children:
        kind = child.type
        if kind == "text":
            if mask_next:
                cursor = _align(src, "*" * len(child.content), child.content, cursor, end, out)
            else:
                cursor = _align(src, child.content, child.content, cursor, end, out)
        elif kind == "code_inline":
            opening = src.find(child.markup, cursor, end)
            start = src.find(child.content, opening + len(child.markup), end) if opening >= 0 else -1
            if start >= 0:
                out.add("*" * len(child.content), start)
                cursor = start + len(child.content) + len(child.markup)
        elif kind in ("softbreak", "hardbreak"):
            nl = src.find("\n", cursor, end)
            if nl >= 0:
                out.add("\n", nl)
                cursor = nl + 1
        elif kind == "image":
            cursor = _image(src, child, cursor, end, doc)
        elif kind == "link_open":
            mask_next = child.markup == "autolink"
        elif kind == "link_close":
            mask_next = False
            cursor = _skip_link_target(src, cursor, end)
        elif kind == "html_inline":
            found = src.find(child.content, cursor, end)
            if found >= 0:
                cursor = found + len(child.content)
    block = out.block(scope)
    if block.text.strip():
        doc.blocks.append(mask_urls(block))


def _align(src: str, emitted: str, content: str, cursor: int, end: int, out: Builder) -> int:
    """Find content in the source from cursor; emit `emitted` at that place; return the new cursor."""
    found = src.find(content, cursor, end)
    if found >= 0:
        out.add(emitted, found)
        return found + len(content)
    # Escapes and entities differ from their rendering: walk character by character.
    for i, c in enumerate(content):
        j = src.find(c, cursor, end)
        if j < 0:
            out.add(emitted[i], max(cursor - 1, 0))
            continue
        out.add(emitted[i], j)
        cursor = j + 1
    return cursor


def _image(src: str, child, cursor: int, end: int, doc: Document) -> int:
    opening = src.find("![", cursor, end)
    if opening < 0:
        return cursor
    alt = child.content
    if alt:
        builder = Builder()
        _align(src, alt, alt, opening + 2, end, builder)
        doc.blocks.append(builder.block("text.attr.alt"))
    close = src.find("]", opening + 2 + len(alt), end)
    return _skip_link_target(src, close if close >= 0 else opening + 2, end)


def _skip_link_target(src: str, cursor: int, end: int) -> int:
    """Move past `](target)` or `][ref]` so the next text is not searched inside a URL."""
    j = cursor
    while j < end and src[j] in "*_~`":
        j += 1
    if j < end and src[j] == "]":
        j += 1
        if j < end and src[j] in "([":
            closing = ")" if src[j] == "(" else "]"
            depth, k = 0, j
            while k < end:
                if src[k] == src[j]:
                    depth += 1
                elif src[k] == closing:
                    depth -= 1
                    if depth == 0:
                        return k + 1
                k += 1
        return j
    return cursor


_BLOCK_TAGS = {
    "p": PROSE,
    "li": "text.list",
    "blockquote": "text.blockquote",
    "td": "text.table.cell",
    "th": "text.table.header",
    "dd": PROSE,
    "dt": PROSE,
    "caption": "text.table.caption",
    "figcaption": "text.figure.caption",
    "div": PROSE,
    "section": PROSE,
    "article": PROSE,
    "header": PROSE,
    "footer": PROSE,
    "body": PROSE,
    "main": PROSE,
    "td ": PROSE,
}
_SKIP_TAGS = {"script", "style", "pre", "figure", "noscript", "iframe", "svg", "head", "template"}
_MASK_TAGS = {"code", "tt", "kbd", "samp", "var"}


class _HTMLBlocks(HTMLParser):
    """Walks HTML keeping source offsets; flushes a block at each block-level boundary."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.doc = Document([])
        self.out = Builder()
        self.stack: list[str] = []
        self.skip = 0
        self.masked = 0

    def source_offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def scope(self) -> str:
        for tag in reversed(self.stack):
            if re.fullmatch(r"h[1-6]", tag):
                return f"text.heading.{tag}"
            if tag in _BLOCK_TAGS and _BLOCK_TAGS[tag] != PROSE:
                return _BLOCK_TAGS[tag]
        return PROSE

    def flush(self) -> None:
        block = self.out.block(self.scope())
        if block.text.strip():
            self.doc.blocks.append(mask_urls(block))
        self.out = Builder()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _MASK_TAGS:
            self.masked += 1
        elif tag in _BLOCK_TAGS or re.fullmatch(r"h[1-6]", tag) or tag in ("br", "hr", "tr", "ul", "ol"):
            self.flush()
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _MASK_TAGS:
            self.masked = max(0, self.masked - 1)
        elif tag in _BLOCK_TAGS or re.fullmatch(r"h[1-6]", tag):
            self.flush()
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        start = self.source_offset()
        self.out.add("*" * len(data) if self.masked else data, start)

    def _entity(self, char: str, raw_length: int) -> None:
        if not self.skip:
            # One rendered character stands for the whole entity; map it to the '&'.
            self.out.add("*" if self.masked else char, self.source_offset())

    def handle_entityref(self, name: str) -> None:
        from html import unescape

        self._entity(unescape(f"&{name};"), len(name) + 2)

    def handle_charref(self, name: str) -> None:
        from html import unescape

        self._entity(unescape(f"&#{name};"), len(name) + 3)


def html_blocks(text: str) -> Document:
    """Prose blocks of an HTML document."""
    parser = _HTMLBlocks(text)
    parser.feed(text)
    parser.close()
    parser.flush()
    return parser.doc
