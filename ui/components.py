"""Small helpers shared by the pages: the cached review context, escaping, highlighting, replacements.

Every piece of draft or note text that reaches the browser goes through `html.escape` here, or is
shown through Streamlit elements that never interpret HTML. Nothing the user typed is markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from reviewer.settings import Settings, get_settings

if TYPE_CHECKING:  # the workflow's imports take seconds: pages draw their header before loading them
    from reviewer.drafts import Draft
    from reviewer.graph import ReviewContext

# ui/pages/ sits beside app.py, so when a server's very first request opens a page URL directly,
# Streamlit runs that page alone in its legacy pages-folder mode (no app.py, no st.navigation).
# Leave that mode and rerun: app.py then routes the same URL through st.navigation.
if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()

# The workflow's step names, in the words a marketer reads while waiting.
STEP_WORDS = {
    "load": "Reading your draft",
    "segment": "Splitting it into sentences",
    "retrieve": "Finding the objections customers raise about it",
    "brand": "Checking the brand rules",
    "tone": "Checking tone and claims",
    "coverage": "Judging how the draft answers each objection",
    "suggest": "Writing suggestions",
    "validate": "Checking every quote against the call notes",
    "score": "Scoring",
    "report": "Putting the report together",
}

STATUS_WORDS = {
    "contradicted": "contradicts it",
    "unaddressed": "ignores it",
    "partial": "partly answers it",
    "addressed": "answers it",
}
# (colour, Material icon) for Streamlit's Markdown badges; icons ship with Streamlit, emoji fonts may not.
STATUS_STYLE = {
    "contradicted": ("red", ":material/block:"),
    "unaddressed": ("orange", ":material/help:"),
    "partial": ("yellow", ":material/contrast:"),
    "addressed": ("green", ":material/check_circle:"),
}
SEVERITY_STYLE = {
    "error": ("red", ":material/error:"),
    "warning": ("orange", ":material/warning:"),
    "suggestion": ("blue", ":material/lightbulb:"),
}
VERDICT_STYLE = {
    "ready": ("green", ":material/check_circle:"),
    "needs work": ("orange", ":material/edit_note:"),
    "blocked": ("red", ":material/block:"),
}


def badge(style: tuple[str, str], words: str) -> str:
    """A coloured Markdown badge; `words` must be our own text or already escaped."""
    colour, icon = style
    return f":{colour}-badge[{icon} {words}]"


NO_CORPUS = (
    "No call notes yet: run `reviewer ingest corpus/notes` (or `make ingest`) to import your CRM exports "
    "and transcripts. Until then the review checks brand rules and tone only."
)


def settings() -> Settings:
    """The app's settings, read from `REVIEWER_*` variables on every run (cheap)."""
    return get_settings()


def _key(s: Settings) -> tuple[str, ...]:
    """The settings that change what the context loads."""
    fields = (s.data_dir, s.model, s.embeddings, s.chroma_url, s.guidelines, s.taxonomy, s.api_base)
    return tuple(str(f) for f in fields)


LOADING = "Loading call notes, objection themes and brand rules (the first visit takes a few seconds)…"


@st.cache_resource(show_spinner=False, max_entries=4)
def _cached_context(key: tuple[str, ...], _settings: Settings) -> ReviewContext:
    from reviewer.graph import build_context

    return build_context(_settings)


def review_context(s: Settings) -> ReviewContext:
    """The loaded context, rebuilt when the settings or the stored corpus changed.

    A spinner shows while the workflow's modules and the context load, so the first visit never
    shows an empty page.
    """
    with st.spinner(LOADING, show_time=True):
        ctx = _cached_context(_key(s), s)
    store = ctx.store
    if store is not None and store.corpus_version != ctx.versions.get("corpus"):
        forget_context()
        with st.spinner(LOADING, show_time=True):
            ctx = _cached_context(_key(s), s)
    return ctx


def forget_context() -> None:
    """Drop the cached context so the next review sees new notes or flags."""
    _cached_context.clear()


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=])")


def md(text: str) -> str:
    """Untrusted text made inert inside Markdown: no HTML, links, images, emphasis or directives."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


@dataclass(frozen=True)
class Mark:
    """A highlighted span of the draft: what to colour and what to say about it."""

    start: int
    end: int
    kind: str  # a CSS class: error, warning, suggestion, addressed, partial, contradicted
    number: int  # shown as a superscript and in the legend
    message: str


HIGHLIGHT_CSS = """
<style>
.cr-draft{font:15px/1.65 ui-sans-serif,system-ui,sans-serif;color:#1d2433;
  background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:6px 26px 14px}
.cr-draft h1{font-size:1.55em;line-height:1.3;margin:.7em 0 .4em}.cr-draft h2{font-size:1.25em;margin:1em 0 .35em}
.cr-draft h3,.cr-draft h4,.cr-draft h5,.cr-draft h6{font-size:1.05em;margin:.9em 0 .3em}
.cr-draft p{margin:0 0 .8em}.cr-draft ul{margin:0 0 .8em;padding-left:1.4em}.cr-draft li{margin:.15em 0}
.cr-draft blockquote{margin:0 0 .8em;padding-left:1em;border-left:3px solid #d0d5dd;color:#475467}
.cr-draft pre{white-space:pre-wrap;background:#f9fafb;padding:8px 10px;border-radius:6px;font-size:13px}
.cr-draft mark{border-radius:3px;padding:0 1px;background:none;color:inherit;cursor:help}
.cr-draft mark.error{background:#fee4e2;border-bottom:2px solid #d92d20}
.cr-draft mark.warning{background:#fef0c7;border-bottom:2px solid #dc6803}
.cr-draft mark.suggestion{background:#eff8ff;border-bottom:2px dotted #1570ef}
.cr-draft mark.addressed{background:#dcfae6;border-bottom:2px solid #079455}
.cr-draft mark.partial{background:#fef6ee;border-bottom:2px dashed #e04f16}
.cr-draft mark.contradicted{background:#fda29b;border-bottom:2px solid #912018}
.cr-draft sup{font-size:10px;color:#475467;margin-left:1px;font-weight:600}
.cr-legend{font:13px/1.45 ui-sans-serif,system-ui,sans-serif;color:#344054}
.cr-legend ol{padding-left:2.4em;margin:0}.cr-legend li{margin-bottom:.45em}
.cr-chip{display:inline-block;border-radius:4px;padding:0 5px;font-size:11px;font-weight:600;margin-right:4px}
.cr-chip.error,.cr-chip.contradicted{background:#fee4e2;color:#b42318}
.cr-chip.warning,.cr-chip.partial{background:#fef0c7;color:#b54708}
.cr-chip.suggestion{background:#eff8ff;color:#175cd3}.cr-chip.addressed{background:#dcfae6;color:#067647}
</style>
"""


def highlight(text: str, marks: Sequence[Mark], start: int = 0, end: int | None = None) -> str:
    """text[start:end] as escaped HTML with every mark wrapped in <mark>; overlapping marks nest by piece.

    The text is cut at every mark boundary; each piece is escaped and wrapped once per mark covering
    it (innermost = the shortest mark), and a mark's number follows its last piece.
    """
    end = len(text) if end is None else end
    valid = [m for m in marks if 0 <= m.start < m.end <= len(text) and m.start < end and m.end > start]
    inner = {min(max(x, start), end) for m in valid for x in (m.start, m.end)}
    cuts = sorted({start, end, *inner})
    out: list[str] = []
    for left, right in zip(cuts, cuts[1:]):
        piece = html.escape(text[left:right])
        covering = sorted((m for m in valid if m.start <= left and right <= m.end), key=lambda m: m.end - m.start)
        for m in covering:
            title = html.escape(f"{m.number}. {m.message}", quote=True)
            sup = f"<sup>{m.number}</sup>" if m.end == right else ""
            piece = f'<mark class="{html.escape(m.kind)}" title="{title}">{piece}{sup}</mark>'
        out.append(piece)
    return "".join(out)


_INLINE_MARKERS = re.compile(r"(\*\*|__|`)")
_QUOTE_PREFIX = re.compile(r"\n[ \t]*(?:&gt;[ \t]?)+")  # continuation lines of a quote, escaped


def _soft(piece_html: str) -> str:
    """A block's text as a reader sees it: source line breaks wrap softly, emphasis markers hidden."""
    return _INLINE_MARKERS.sub("", piece_html.replace("\n", " "))


def document(draft: Draft, marks: Sequence[Mark]) -> str:
    """The draft rendered as a document (headings, paragraphs, lists, quotes, code), marks on exact spans.

    Every block is cut from `draft.text` by its offsets, so a mark lands on the very characters the
    finding points at; text is escaped piece by piece and only our own tags are HTML.
    """
    out: list[str] = ['<div class="cr-draft">']
    in_list = False
    for block in draft.blocks:
        body = highlight(draft.text, marks, block.start, block.end)
        if block.kind == "list_item" and not in_list:
            out.append("<ul>")
        elif block.kind != "list_item" and in_list:
            out.append("</ul>")
        in_list = block.kind == "list_item"
        if block.kind == "heading":
            level = min(max(block.level, 1), 6)
            out.append(f"<h{level}>{_soft(body)}</h{level}>")
        elif block.kind == "list_item":
            out.append(f"<li>{_soft(body)}</li>")
        elif block.kind == "quote":
            out.append(f"<blockquote>{_soft(_QUOTE_PREFIX.sub(' ', body))}</blockquote>")
        elif block.kind == "code":
            out.append(f"<pre>{body}</pre>")
        else:
            out.append(f"<p>{_soft(body)}</p>")
    if in_list:
        out.append("</ul>")
    out.append("</div>")
    return "".join(out)


def legend(marks: Iterable[Mark], labels: dict[str, str]) -> str:
    """The numbered list of messages beside the draft, escaped."""
    items = "".join(
        f'<li value="{m.number}"><span class="cr-chip {html.escape(m.kind)}">{html.escape(labels.get(m.kind, m.kind))}'
        f"</span>{html.escape(m.message)}</li>"
        for m in marks
    )
    return f'<div class="cr-legend"><ol>{items}</ol></div>'


def apply_replacements(text: str, replacements: Sequence[tuple[int, int, str]]) -> tuple[str, int]:
    """Apply (start, end, new text) replacements from the end backwards; overlapping ones are skipped.

    Returns the new text and how many replacements were skipped because an applied one overlapped.
    """
    applied_from = len(text) + 1
    skipped = 0
    for start, end, new in sorted(replacements, key=lambda r: (r[0], r[1]), reverse=True):
        if not 0 <= start <= end <= len(text) or end > applied_from:
            skipped += 1
            continue
        text = text[:start] + new + text[end:]
        applied_from = start
    return text, skipped
