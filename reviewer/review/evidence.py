"""Customer evidence for a review, retrieved from the call-note store.

Two kinds of query go to Chroma (through `reviewer.store`, the only module that opens it):
  - each draft sentence asks for the customer passages nearest to it: the calls those passages
    belong to say which themes the draft speaks to;
  - each judged theme asks for the passages nearest to its statements, among the theme's own
    calls, in the draft's language first and then in any language.
A passage is a stored chunk; the quote shown is the customer sentence inside it (the same
definition of "customer words" mining uses) that is closest to the theme, verbatim from the note,
and the rep's answer is the seller reply that followed that sentence in the same call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reviewer.models import Evidence, Theme, themes_by_note
from reviewer.text import detect_language

EVIDENCE_PER_THEME = 3  # quotes shown per finding
ANSWERS_PER_THEME = 3  # reps' replies kept per finding
PASSAGES_PER_THEME = 12  # passages asked for per theme query (several can come from one call)
PASSAGES_PER_SENTENCE = 4  # passages asked for per draft sentence

Embed = Callable[[list[str]], np.ndarray]


@dataclass
class Retrieved:
    """What the store returned for one draft."""

    sentence_hits: dict[str, float] = field(default_factory=dict)  # theme id -> closeness to the draft
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)  # theme id -> customer quotes
    answers: dict[str, list[Evidence]] = field(default_factory=dict)  # theme id -> reps' replies


def theme_query_vectors(themes: Sequence[Theme], theme_vectors: dict[str, np.ndarray]) -> np.ndarray:
    """One query per theme: the normalised mean of its statement vectors."""
    rows = []
    for theme in themes:
        vectors = theme_vectors[theme.theme_id]
        mean = vectors.mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
    return np.stack(rows) if rows else np.zeros((0, 1), dtype=np.float32)


def draft_hits(
    store: Any,
    draft_vectors: np.ndarray,
    themes: Sequence[Theme],
    *,
    segment: str | None = None,
    product: str | None = None,
    note_themes: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, float]:
    """How strongly the draft's sentences retrieve each theme's calls (mean best similarity, 0-1).

    `note_themes` (note id -> ids of the themes it belongs to, any themes) saves building it again.
    """
    if not len(draft_vectors) or not themes:
        return {}
    of_note = themes_by_note(themes) if note_themes is None else note_themes
    judged = {theme.theme_id for theme in themes}
    rows = store.query_passages(draft_vectors, PASSAGES_PER_SENTENCE, segment=segment, product=product, texts=False)
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        best: dict[str, float] = {}
        for passage in row:
            for theme_id in of_note.get(passage.chunk.note_id, ()):
                if theme_id not in judged:
                    continue
                best[theme_id] = max(best.get(theme_id, 0.0), passage.similarity)
        for theme_id, similarity in best.items():
            totals[theme_id] += max(similarity, 0.0)
    return {theme_id: round(total / len(rows), 4) for theme_id, total in totals.items()}


def retrieve_evidence(
    store: Any,
    embed: Embed,
    themes: Sequence[Theme],
    theme_vectors: dict[str, np.ndarray],
    language: str,
    *,
    segment: str | None = None,
    product: str | None = None,
    statements_of: Callable[[Sequence[str]], dict[str, list[Any]]] | None = None,
) -> Retrieved:
    """Quotes and reps' replies per theme, from the passages nearest to each theme's query.

    `statements_of` (note ids -> each note's customer statements) may answer from a cache.
    """
    retrieved = Retrieved()
    if not themes:
        return retrieved
    queries = theme_query_vectors(themes, theme_vectors)
    picked: dict[str, list[Any]] = {}
    # Only where a passage lies in its note is read: the quote is a statement of the note inside it.
    # A passage carries its note's language, so a theme none of whose calls is in the draft's
    # language keeps none of the passages of this query: it is not asked (Chroma answers such a
    # query by filtering every chunk, seconds at 100,000 calls) and goes to the wider query below.
    asked = [index for index, theme in enumerate(themes) if language in theme.languages]
    answered = (
        store.query_passages(
            queries[asked], PASSAGES_PER_THEME, language=language, segment=segment, product=product, texts=False
        )
        if asked
        else []
    )
    same: list[list[Any]] = [[] for _ in themes]
    for index, row in zip(asked, answered):
        same[index] = row
    wider = None
    for row, (index, theme) in zip(same, enumerate(themes)):
        members = set(theme.note_ids)
        passages = [p for p in row if p.chunk.note_id in members]
        if len({p.chunk.note_id for p in passages}) < EVIDENCE_PER_THEME:
            if wider is None:  # one query for every theme that needs more, only when one does
                wider = store.query_passages(queries, PASSAGES_PER_THEME, segment=segment, product=product, texts=False)
            passages += [p for p in wider[index] if p.chunk.note_id in members and p not in passages]
        picked[theme.theme_id] = passages
    note_ids = sorted({p.chunk.note_id for row in picked.values() for p in row})
    if statements_of is not None:
        statements = statements_of(note_ids)
    else:
        from reviewer.objections.extract import extract_statements

        statements = {note_id: extract_statements(note) for note_id, note in store.get_notes(note_ids).items()}
    for theme in themes:
        candidates = []  # (passage, statement) pairs: customer sentences inside each passage
        for passage in picked[theme.theme_id]:
            chunk = passage.chunk
            for statement in statements.get(chunk.note_id, []):
                if chunk.start <= statement.start and statement.end <= chunk.end:
                    candidates.append((passage, statement))
        if not candidates:
            continue
        vectors = embed([s.text for _, s in candidates])
        # Closeness to the theme's own statements (the nearest one), not to their mean: a theme
        # gathers several phrasings of one concern.
        closeness = (vectors @ theme_vectors[theme.theme_id].T).max(axis=1)
        if len(themes) > 1:
            # A call often raises several themes: the sentence shown is the one about this theme
            # more than about the others judged with it.
            others = np.max(
                [(vectors @ theme_vectors[t.theme_id].T).max(axis=1) for t in themes if t is not theme], axis=0
            )
            closeness = closeness - 0.5 * others
        # A sentence with no sign of a concern (a greeting, an introduction) is shown only when
        # the passage has nothing better.
        closeness = closeness - 0.2 * np.array([s.score <= 0 for _, s in candidates])
        order = np.argsort(-closeness, kind="stable")
        quotes: list[Evidence] = []
        replies: list[Evidence] = []
        seen: set[str] = set()
        for position in order:
            passage, statement = candidates[int(position)]
            if statement.note_id in seen:
                continue
            seen.add(statement.note_id)
            note_language = passage.language or detect_language(statement.text)
            meta = {"outcome": passage.outcome, "date": passage.date, "language": note_language}
            other = note_language != language
            quotes.append(Evidence(note_id=statement.note_id, quote=statement.text, other_language=other, **meta))
            if statement.reply:
                replies.append(Evidence(note_id=statement.note_id, quote=statement.reply, other_language=other, **meta))
        # Quotes in the draft's language first; the closest first within each language.
        quotes.sort(key=lambda e: e.other_language)
        replies.sort(key=lambda e: e.other_language)
        retrieved.evidence[theme.theme_id] = quotes[:EVIDENCE_PER_THEME]
        retrieved.answers[theme.theme_id] = replies[:ANSWERS_PER_THEME]
    return retrieved


def mined_evidence(theme: Theme, language: str) -> list[Evidence]:
    """The theme's own mined quotes (verbatim too), for themes the store gave nothing for."""
    marked = []
    for quote in theme.quotes:
        # The note's language, known since ingest; a fragment is only detected for themes mined before.
        quote_language = quote.language or detect_language(quote.quote)
        fields = quote.model_dump(exclude={"language"})
        marked.append(Evidence(**fields, language=quote_language, other_language=quote_language != language))
    marked.sort(key=lambda e: e.other_language)
    return marked[:EVIDENCE_PER_THEME]
