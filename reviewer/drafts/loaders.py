"""Per-format conversion of a draft's raw bytes to text and blocks, with the guards against hostile files."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from reviewer.drafts.structure import Block, BlockKind, StructureLimitError, check_block_count, make_block
from reviewer.errors import InputError

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

# DOCX: checked on the zip's central directory before python-docx reads anything.
DOCX_MAX_ENTRIES = 2_000
DOCX_MAX_TOTAL_BYTES = 50 * 1024 * 1024
DOCX_MAX_RATIO = 100  # for entries larger than DOCX_RATIO_MIN_BYTES
DOCX_RATIO_MIN_BYTES = 1024 * 1024

# PDF: parsed by pdf_worker.py in a child process (which also caps its memory at 1 GiB).
PDF_TIMEOUT_SECONDS = 20.0
PDF_WORKER = Path(__file__).with_name("pdf_worker.py")

# --- Text decoding: one policy for review and lint, in reviewer/text.py -----------------------------


def join_blocks(pieces: list[tuple[BlockKind, int, str]]) -> tuple[str, list[Block]]:
    """Draft text made of (kind, level, text) pieces separated by blank lines, with their blocks."""
    parts: list[str] = []
    spans: list[tuple[BlockKind, int, int, int]] = []
    offset = 0
    for kind, level, piece in pieces:
        if not piece.strip():
            continue
        if parts:
            parts.append("\n\n")
            offset += 2
        parts.append(piece)
        spans.append((kind, level, offset, offset + len(piece)))
        offset += len(piece)
    check_block_count(len(spans))
    text = "".join(parts)
    return text, [make_block(text, kind, start, end, level) for kind, level, start, end in spans]


# --- HTML -------------------------------------------------------------------------------------------

# Elements whose content is never text the reader sees.
_DROPPED = frozenset(
    "script style template noscript iframe object embed svg math title textarea select canvas "
    "audio video frameset noembed noframes".split()
)
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Elements that start and end a block of text.
_BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd blockquote pre h1 h2 h3 h4 h5 h6 table tr td th thead tbody tfoot caption "
    "section article header footer main aside nav figure figcaption address hr form fieldset legend "
    "details summary body html".split()
)


_MAX_DEPTH = 256
# Python's parser takes a few microseconds per tag: this bounds a hostile page to a few seconds,
# far above the few thousand tags of a real one.
MAX_HTML_TAGS = 300_000
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Open elements a new block start closes implicitly (as browsers do for unclosed <p> and <li>).
_IMPLIED_END = {"p": {"p"}, "li": {"p", "li"}, "dt": {"p", "dt", "dd"}, "dd": {"p", "dt", "dd"}}


class _Open(NamedTuple):
    """An open element and the block context it gives the text inside it."""

    tag: str
    kind: BlockKind
    level: int
    lists: int
    quotes: int


class _TextExtractor(HTMLParser):
    """Collects visible text by block; markup is never kept and nothing is fetched or run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = [_Open("#root", "paragraph", 0, 0, 0)]
        self.open_tags: Counter[str] = Counter()
        self.dropping: list[str] = []
        self.buffer: list[str] = []
        self.pieces: list[tuple[BlockKind, int, str]] = []
        self.tags = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if self.tags > MAX_HTML_TAGS:
            raise StructureLimitError(f"too much markup (more than {MAX_HTML_TAGS:,} tags)")
        if self.dropping:
            if tag == self.dropping[-1] and len(self.dropping) < _MAX_DEPTH:
                self.dropping.append(tag)
            return
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropping.append(tag)
            return
        if tag == "br":
            self.buffer.append("\n")
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            closes = _IMPLIED_END.get(tag, {"p"})
            while len(self.stack) > 1 and self.stack[-1].tag in closes:
                self.pop()
        # Deeper nesting is treated as flat, so hostile nesting cannot make every lookup slow.
        if tag not in _VOID and len(self.stack) <= _MAX_DEPTH:
            self.push(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if self.tags > MAX_HTML_TAGS:
            raise StructureLimitError(f"too much markup (more than {MAX_HTML_TAGS:,} tags)")
        if tag == "br" and not self.dropping:
            self.buffer.append("\n")
        elif tag in _BLOCK_TAGS and not self.dropping:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if not self.open_tags[tag]:
            return  # a stray end tag
        for entry in reversed(self.stack):  # inline end tags (</b>) do not end the block
            if entry.tag in _BLOCK_TAGS:
                self.flush()
                break
            if entry.tag == tag:
                break
        while self.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.stack[-1].kind == "code":
            self.buffer.append(data)
        else:
            self.buffer.append(re.sub(r"\s+", " ", data))

    def push(self, tag: str) -> None:
        parent = self.stack[-1]
        lists = parent.lists + (tag in ("ul", "ol"))
        quotes = parent.quotes + (tag == "blockquote")
        kind, level = parent.kind, parent.level
        if kind != "code":
            if tag == "pre":
                kind, level = "code", 0
            elif tag in _HEADINGS:
                kind, level = "heading", _HEADINGS[tag]
            elif tag == "li":
                kind, level = "list_item", max(1, lists)
            elif tag == "blockquote":
                kind, level = "quote", quotes
        self.stack.append(_Open(tag, kind, level, lists, quotes))
        self.open_tags[tag] += 1

    def pop(self) -> str:
        tag = self.stack.pop().tag
        self.open_tags[tag] -= 1
        return tag

    def flush(self) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        context = self.stack[-1]
        if context.kind == "code":
            text = raw.strip("\n").rstrip()
        else:
            lines = (re.sub(r" +", " ", line).strip() for line in raw.split("\n"))
            text = "\n".join(line for line in lines if line)
        if text.strip():
            self.pieces.append((context.kind, context.level, text))


def html_blocks(source: str) -> tuple[str, list[Block]]:
    """Visible text of an HTML document, blocks separated by blank lines, entities decoded."""
    # At the end of input, Python 3.11's HTMLParser rescans the rest of the text for every `<` that
    # cannot start a tag, which is quadratic (CVE-2025-6069). A `<` with no `>` after it can never
    # open a tag, so it is escaped as text before parsing.
    last_close = source.rfind(">")
    if "<" in source[last_close + 1 :]:
        source = source[: last_close + 1] + source[last_close + 1 :].replace("<", "&lt;")
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    parser.flush()
    return join_blocks(parser.pieces)


# --- DOCX -------------------------------------------------------------------------------------------


def check_docx_archive(data: bytes, path: str) -> None:
    """Refuse a DOCX whose zip could exhaust memory or time before python-docx opens it."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: how Word stores encrypted files and old .doc
        raise InputError(path, "not a valid DOCX (password-protected, or an old .doc file renamed)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(path, "not a valid DOCX (not a zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(path, f"not a valid DOCX (broken zip archive: {exc})") from exc
    if len(entries) > DOCX_MAX_ENTRIES:
        raise InputError(path, f"not a valid DOCX ({len(entries):,} entries; the limit is {DOCX_MAX_ENTRIES:,})")
    # zipfile stops reading an entry at its declared size (and then fails its CRC check), so the
    # declared sizes checked here bound what python-docx can decompress.
    total = sum(entry.file_size for entry in entries)
    if total > DOCX_MAX_TOTAL_BYTES:
        raise InputError(
            path,
            f"not a valid DOCX (uncompressed size {total / 1024 / 1024:.1f} MB; "
            f"the limit is {DOCX_MAX_TOTAL_BYTES / 1024 / 1024:.1f} MB)",
        )
    for entry in entries:
        if entry.file_size > DOCX_RATIO_MIN_BYTES and entry.file_size > DOCX_MAX_RATIO * max(entry.compress_size, 1):
            raise InputError(
                path,
                f"not a valid DOCX (entry {entry.filename!r} is compressed more than {DOCX_MAX_RATIO}:1)",
            )


_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título|titolo)\s*(\d)", re.IGNORECASE)
_LIST_STYLE_LEVEL = re.compile(r"(\d+)\s*$")


def _list_level(paragraph: Paragraph, style: str) -> int | None:
    """Nesting depth (1-based) of a list paragraph, from its numbering or its style; None if not a list."""
    properties: Any = paragraph._p.pPr
    numbering = properties.numPr if properties is not None else None
    if numbering is not None and numbering.ilvl is not None and numbering.ilvl.val is not None:
        return int(numbering.ilvl.val) + 1
    if numbering is not None or style.lower().startswith(("list", "liste")):
        level = _LIST_STYLE_LEVEL.search(style)
        return int(level.group(1)) if level else 1
    return None


def _paragraph_piece(paragraph: Paragraph) -> tuple[BlockKind, int, str]:
    text = paragraph.text
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    lowered = style.lower()
    if heading := _HEADING_STYLE.match(style):
        return "heading", int(heading.group(1)), text
    if lowered in ("title", "titel"):
        return "heading", 1, text
    if lowered in ("subtitle", "untertitel"):
        return "heading", 2, text
    if "quote" in lowered or "zitat" in lowered:
        return "quote", 1, text
    if (level := _list_level(paragraph, style)) is not None:
        return "list_item", level, text
    if "code" in lowered or "preformatted" in lowered:
        return "code", 0, text
    return "paragraph", 0, text


def _container_pieces(container: object, pieces: list[tuple[BlockKind, int, str]], depth: int = 0) -> None:
    """Paragraphs in document order, each table cell's paragraphs in reading order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in container.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Paragraph):
            pieces.append(_paragraph_piece(item))
        elif isinstance(item, Table) and depth < 5:
            # A merged cell is repeated for every column it spans. The set holds the elements
            # themselves: lxml reuses a proxy (and its id) only while it is referenced.
            seen: set[object] = set()
            for row in item.rows:
                for cell in row.cells:
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    _container_pieces(cell, pieces, depth + 1)


def docx_blocks(data: bytes, path: str) -> tuple[str, list[Block]]:
    """Text of a DOCX's body (paragraphs and table cells) with heading and list blocks from its styles."""
    check_docx_archive(data, path)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        pieces: list[tuple[BlockKind, int, str]] = []
        _container_pieces(document, pieces)
    except InputError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on broken packages
        raise InputError(path, "not a valid DOCX (the file is damaged or not a Word document)") from exc
    return join_blocks([(kind, level, text.replace("\r", "\n")) for kind, level, text in pieces])


# --- PDF --------------------------------------------------------------------------------------------


def pdf_pages(data: bytes, path: str) -> list[str]:
    """Page texts of a PDF, extracted by pdf_worker.py in a child process with a timeout."""
    if b"%PDF-" not in data[:1024]:
        raise InputError(path, "not a valid PDF (no %PDF header)")
    try:
        done = subprocess.run(
            [sys.executable, "-P", str(PDF_WORKER)],
            input=data,
            capture_output=True,
            timeout=PDF_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(path, f"PDF could not be read within {PDF_TIMEOUT_SECONDS:g} s") from exc
    if done.returncode != 0:
        if b"MemoryError" in done.stderr:
            reason = "PDF needs too much memory to read"
        elif done.returncode < 0:
            reason = f"PDF could not be read (parser stopped by signal {-done.returncode})"
        else:
            reason = f"PDF could not be read (parser exited with code {done.returncode})"
        raise InputError(path, reason)
    try:
        result = json.loads(done.stdout)
    except ValueError as exc:
        raise InputError(path, "PDF could not be read (parser gave no result)") from exc
    error = result.get("error")
    if error == "encrypted":
        raise InputError(path, f"PDF is encrypted ({result.get('detail')})")
    if error == "too_large":
        raise InputError(path, f"PDF is too large ({result.get('detail')})")
    if error:
        truncated = "truncated or damaged: " if b"%%EOF" not in data[-1024:] else ""
        raise InputError(path, f"not a valid PDF ({truncated}{result.get('detail')})")
    return [str(page) for page in result["pages"]]


def pdf_text(pages: list[str]) -> str:
    """Draft text of a PDF: paragraphs separated by blank lines, guessed from the extracted lines.

    pypdf gives one line per printed line and rarely a blank line between paragraphs; a line much
    shorter than the page's longest one usually ends a paragraph (or is a heading).
    """
    paragraphs: list[str] = []
    for page in pages:
        page = page.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        lines = [line.strip() for line in page.split("\n")]
        widest = max((len(line) for line in lines), default=0)
        current: list[str] = []
        for line in lines:
            if line:
                current.append(line)
            if current and (not line or len(line) < 0.7 * widest):
                paragraphs.append("\n".join(current))
                current = []
        if current:
            paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)
