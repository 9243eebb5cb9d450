"""Which objection themes matter for a draft, and the customer evidence to show for each."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from reviewer.drafts import Draft
from reviewer.models import Evidence, Theme
from reviewer.text import words

MAX_THEMES = 10  # a review shows at most this many themes; the rest are minor for this draft
EVIDENCE_PER_THEME = 3


class RelevantTheme(BaseModel):
    """A theme selected for a draft, why, and the quotes that back it."""

    theme: Theme
    relevance: float = Field(description="How strongly the theme concerns this draft (0-1).")
    evidence: list[Evidence] = Field(default_factory=list)
    flagged: list[Evidence] = Field(default_factory=list, description="Reps' flags about this draft.")


def select_themes(
    draft: Draft,
    themes: Sequence[Theme],
    draft_vectors: np.ndarray,
    theme_vectors: dict[str, np.ndarray],
    segment: str | None = None,
    product: str | None = None,
) -> list[RelevantTheme]:
    """The top themes for this draft: impact in its segment/product, plus topical closeness."""
    if not themes:
        return []
    draft_terms = set(words(draft.text))
    max_impact = max(t.impact for t in themes) or 1.0
    scored: list[tuple[float, Theme]] = []
    for theme in themes:
        if segment and theme.segments and segment.lower() not in {s.lower() for s in theme.segments}:
            continue
        if product and theme.products and product.lower() not in {p.lower() for p in theme.products}:
            continue
        vectors = theme_vectors.get(theme.theme_id)
        topical = 0.0
        if vectors is not None and len(draft_vectors):
            topical = float((draft_vectors @ vectors.T).max())
        lexical = min(len(draft_terms & set(theme.keywords[:8])) / 3, 1.0)
        score = 0.6 * theme.impact / max_impact + 0.25 * max(topical, 0.0) + 0.15 * lexical
        scored.append((score, theme))
    scored.sort(key=lambda pair: (-pair[0], pair[1].theme_id))
    return [
        RelevantTheme(theme=theme, relevance=round(score, 3), evidence=pick_evidence(theme, draft.language))
        for score, theme in scored[:MAX_THEMES]
    ]


def pick_evidence(theme: Theme, language: str) -> list[Evidence]:
    """Quotes in the draft's language first, then the others (a German draft sees English notes too)."""
    from reviewer.text import detect_language

    # The note's language, known since ingest; a fragment is only detected for themes mined before.
    ranked = sorted(theme.quotes, key=lambda q: (q.language or detect_language(q.quote)) != language)
    return [Evidence(**q.model_dump()) for q in ranked[:EVIDENCE_PER_THEME]]
