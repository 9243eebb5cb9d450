"""HTML call bodies (HubSpot's `hs_call_body`, Salesforce's `Description`) turned into plain text.

The stdlib `html.parser` reads the markup (a tolerant, maintained tokenizer; no dependency), and
character references are decoded exactly once, by the parser: `&amp;lt;script&amp;gt;` becomes the
text `&lt;script&gt;`, never markup. `<script>`, `<style>`, comments and other tags' names leave no
text. Block elements end a line, `<p>`/`<div>` a paragraph, `<br>` a line, `<li>` a `- ` item, so
speaker labels (`<p>Rep: ...</p>`) still start their own lines. Input is bounded in size.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A CRM cell of a few MB is already huge; longer bodies are cut there (and the cut is reported).
MAX_HTML_CHARS = 2_000_000

_HTML_HINT = re.compile(
    r"<(?:p|br|div|span|ul|ol|li|b|strong|i|em|u|a|font|table|tr|td|th|h[1-6]|blockquote|pre|hr|html|body)"
    r"\b[^>]*>|</(?:p|div|span|li|b|strong|i|em|a|font|td|tr)\s*>|&(?:nbsp|amp|lt|gt|quot|#\d{1,6}|#x[0-9a-f]{1,6});",
    re.I,
)
_BLOCK = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr main nav ol p pre section table tbody thead tfoot tr ul".split()
)
_PARAGRAPH = frozenset({"p", "div", "blockquote", "pre", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})
_SILENT = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"})
_CELL = frozenset({"td", "th"})


def looks_like_html(text: str) -> bool:
    """True when the text holds common HTML tags or character references."""
    return bool(_HTML_HINT.search(text[:MAX_HTML_CHARS]))


def html_to_text(markup: str) -> tuple[str, bool]:
    """(plain text, cut) for an HTML fragment; `cut` is True when it was longer than MAX_HTML_CHARS."""
    cut = len(markup) > MAX_HTML_CHARS
    parser = _TextParser()
    parser.feed(markup[:MAX_HTML_CHARS])
    parser.close()
    return parser.text(), cut


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._silent = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SILENT:
            self._silent += 1
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "li":
            self._parts.append("\n- ")
        elif tag in _CELL:
            self._parts.append(" ")
        elif tag in _BLOCK:
            self._parts.append("\n\n" if tag in _PARAGRAPH else "\n")
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SILENT:
            return
        self.handle_starttag(tag, attrs)
        if tag == "pre":
            self._pre -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self._silent = max(0, self._silent - 1)
        elif tag in _BLOCK:
            self._parts.append("\n\n" if tag in _PARAGRAPH else "\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._silent:
            return
        # Source line breaks are spaces in HTML, except inside <pre>.
        self._parts.append(data if self._pre else re.sub(r"[ \t\r\n\f\v]+", " ", data))

    def text(self) -> str:
        raw = "".join(self._parts).replace("\xa0", " ")
        lines = [line.strip() for line in raw.split("\n")]
        joined = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()


def plain_body(text: str, where: str, warnings: list[str]) -> str:
    """The note text as plain text: converted when it is HTML (a cut is reported), else unchanged."""
    if not looks_like_html(text):
        return text
    plain, cut = html_to_text(text)
    if cut:
        warnings.append(f"{where}: HTML body longer than {MAX_HTML_CHARS:,} characters, the rest was cut")
    return plain
