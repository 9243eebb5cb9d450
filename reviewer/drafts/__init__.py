"""Draft loading: a file (Markdown, text, HTML, DOCX, PDF) to text with blocks and sentences.

Every offset in a `Draft` points into `Draft.text`, the text the user sees: the Markdown or plain text
source itself (line ends normalised to `\\n`), or the text extracted from HTML, DOCX and PDF (blocks
separated by blank lines). Every failure is an `InputError` naming the file and the reason.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from reviewer.drafts.loaders import docx_blocks, html_blocks, pdf_pages, pdf_text
from reviewer.drafts.structure import (
    Block,
    Sentence,
    StructureLimitError,
    check_markdown_size,
    markdown_blocks,
    parse_markdown,
    plain_blocks,
    prose_sentences,
)
from reviewer.errors import InputError
from reviewer.rules.markup import Document
from reviewer.settings import Settings
from reviewer.text import decode_text, detect_language, mask_mdx

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Block",
    "Draft",
    "DraftFormat",
    "Sentence",
    "draft_from_text",
    "load_draft",
    "load_draft_bytes",
]

DraftFormat = Literal["markdown", "text", "html", "docx", "pdf"]

_FORMATS: dict[str, DraftFormat] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",  # MDX: Markdown whose ESM lines and JSX comments are blanked before parsing
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES = set(_FORMATS)


class Draft(BaseModel):
    """A loaded draft: its text, where it came from, and its structure as offsets into the text."""

    path: str = Field(description="The file the draft was loaded from (or the upload's name).")
    format: DraftFormat = Field(description="The file format the text was extracted from.")
    sha256: str = Field(description="SHA-256 of the file's raw bytes.")
    text: str = Field(description="The text the user sees; every offset is computed on it.")
    language: str = Field(description="Language code of the text, e.g. 'en' or 'de'.")
    blocks: list[Block] = Field(description="Headings, paragraphs, list items, quotes and code, in order.")
    sentences: list[Sentence] = Field(description="Sentences of the prose blocks (never of code), in order.")

    _line_starts: list[int] | None = PrivateAttr(default=None)
    # The markdown-it parse the blocks came from; the rules engine lints a Markdown draft by it.
    _document: Document | None = PrivateAttr(default=None)

    def markup(self) -> Document | None:
        """The parse of a Markdown draft its blocks came from, for the rules engine; None for other formats."""
        if self.format != "markdown":
            return None
        if self._document is None:  # a draft read back from JSON: its text is parsed again
            self._document = parse_markdown(_markdown_source(self.text, self.path))
        return self._document

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset into `text`."""
        if self._line_starts is None:
            self._line_starts = [0] + [i + 1 for i, char in enumerate(self.text) if char == "\n"]
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


def _format_of(name: str) -> DraftFormat:
    suffix = Path(name).suffix.lower()
    if suffix not in _FORMATS:
        shown = suffix or "(no extension)"
        raise InputError(name, f"unsupported file type {shown} (supported: {', '.join(sorted(_FORMATS))})")
    return _FORMATS[suffix]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _check_size(size: int, name: str, settings: Settings) -> None:
    if size > settings.max_draft_bytes:
        raise InputError(name, f"file is {_megabytes(size)}; the limit is {_megabytes(settings.max_draft_bytes)}")
    if size == 0:
        raise InputError(name, "file is empty")


def _markdown_source(text: str, name: str) -> str:
    """The text markdown-it reads: MDX's ESM lines and JSX comments blanked (offsets unchanged)."""
    return mask_mdx(text) if name.lower().endswith(".mdx") else text


def _markdown(name: str, digest: str, text: str) -> Draft:
    check_markdown_size(text)
    document = parse_markdown(_markdown_source(text, name))
    draft = _build(name, "markdown", digest, text, markdown_blocks(text, document))
    draft._document = document
    return draft


def _build(name: str, fmt: DraftFormat, digest: str, text: str, blocks: list[Block]) -> Draft:
    sentences = prose_sentences(text, blocks)
    if not sentences:
        raise InputError(name, "no text found")
    return Draft(
        path=name,
        format=fmt,
        sha256=digest,
        text=text,
        language=detect_language(text),
        blocks=blocks,
        sentences=sentences,
    )


def load_draft(path: Path, settings: Settings | None = None) -> Draft:
    """Load a draft file; size and type are checked before anything is read."""
    settings = settings or Settings()
    path = Path(path)
    name = str(path)
    try:
        if not path.exists():
            raise InputError(name, "file not found")
        if path.is_dir():
            raise InputError(name, "is a directory, not a file")
        if not path.is_file():
            raise InputError(name, "not a regular file")
        _format_of(name)
        _check_size(path.stat().st_size, name, settings)
        with path.open("rb") as handle:
            # Read one byte past the cap in case the file grew since stat().
            data = handle.read(settings.max_draft_bytes + 1)
    except OSError as exc:
        raise InputError(name, f"cannot read file ({exc.strerror or exc})") from exc
    return load_draft_bytes(data, name, settings)


def load_draft_bytes(data: bytes, name: str, settings: Settings | None = None) -> Draft:
    """Load a draft from raw bytes (an upload); `name` gives the format by its extension."""
    settings = settings or Settings()
    fmt = _format_of(name)
    _check_size(len(data), name, settings)
    try:
        return _parse(data, name, fmt)
    except StructureLimitError as exc:
        raise InputError(name, str(exc)) from exc


def _parse(data: bytes, name: str, fmt: DraftFormat) -> Draft:
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "docx":
        return _build(name, fmt, digest, *docx_blocks(data, name))
    if fmt == "pdf":
        text = pdf_text(pdf_pages(data, name))
        if not text:
            raise InputError(name, "PDF has no extractable text (a scanned image?)")
        return _build(name, fmt, digest, text, plain_blocks(text))
    return _from_text(name, fmt, digest, decode_text(data, name))


def _from_text(name: str, fmt: DraftFormat, digest: str, text: str) -> Draft:
    """A draft of a text format (Markdown, plain text or HTML) from its text, line ends already `\\n`;
    a file's bytes and a pasted text go through here alike."""
    if fmt == "html":
        return _build(name, fmt, digest, *html_blocks(text))
    if fmt == "markdown":
        return _markdown(name, digest, text)
    return _build(name, fmt, digest, text, plain_blocks(text))


def draft_from_text(text: str, name: str = "pasted.md") -> Draft:
    """A draft from text pasted in the screen; Markdown unless `name` says .txt (or .html)."""
    fmt = _format_of(name)
    if fmt not in ("markdown", "text", "html"):
        raise InputError(name, f"pasted text cannot be {fmt}; use .md, .txt or .html")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return _from_text(name, fmt, digest, text)
    except StructureLimitError as exc:
        raise InputError(name, str(exc)) from exc
